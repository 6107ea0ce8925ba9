import Glibc

/// Blocking read/write helpers for raw descriptors (stdio, the control socket).
enum FileDescriptorIO {
    /// Writes all bytes, retrying on EINTR and short writes.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(FileDescriptorError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileDescriptorError(operation: "write", code: errno)
            }
            offset += n
        }
    }

    /// Reads up to `buffer.count` bytes; 0 means end of file.
    static func read(_ fd: Int32, into buffer: inout [UInt8]) throws(FileDescriptorError) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw FileDescriptorError(operation: "read", code: errno)
        }
    }
}

struct FileDescriptorError: Error, CustomStringConvertible {
    var operation: String
    var code: Int32
    var description: String { "\(operation): \(String(cString: strerror(code)))" }
}
