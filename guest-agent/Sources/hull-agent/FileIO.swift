import CAgentSupport
import Glibc

/// Blocking descriptor I/O with the EINTR and short-count handling every caller needs.
enum FileIO {
    /// Writes every byte; returns 0 or the errno that stopped it.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard let base = bytes.baseAddress else { return 0 }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += n
        }
        return 0
    }

    /// One read: the byte count (0 at end of file) or the negated errno.
    static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 && errno == EINTR { continue }
            return n < 0 ? -Int(errno) : n
        }
    }

    /// A small file's contents (sysfs attributes, /proc/cmdline, the module list), or nil.
    static func readFile(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return readAll(fd, limit: limit)
    }

    /// Everything `fd` gives up to `limit` bytes, or nil on a read error.
    static func readAll(_ fd: Int32, limit: Int = 1 << 20) -> [UInt8]? {
        var contents = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while contents.count < limit {
            let n = chunk.withUnsafeMutableBytes { readSome(fd, into: $0) }
            if n < 0 { return nil }
            if n == 0 { break }
            contents.append(contentsOf: chunk[0..<n])
        }
        return contents
    }

    /// A close-on-exec pipe.
    static func makePipe() throws(SystemError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard hull_pipe_cloexec(&fds) == 0 else { throw SystemError("pipe") }
        return (fds[0], fds[1])
    }

    /// A close-on-exec duplicate, so one end of a pty can be owned by two threads.
    static func duplicate(_ fd: Int32) throws(SystemError) -> Int32 {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 3)
        guard copy >= 0 else { throw SystemError("dup") }
        return copy
    }

    static func isOpen(_ fd: Int32) -> Bool {
        fcntl(fd, F_GETFD) >= 0
    }

    /// mkdir -p; existing directories are fine.
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, mode) != 0 && errno != EEXIST {
                throw SystemError("mkdir \(prefix)")
            }
        }
    }
}
