import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A POSIX file descriptor for the few places that need what FileHandle hides: fsync,
/// O_EXCL, chunked reads into one reused buffer.
struct RawFile {
    let fd: Int32
    let path: String

    static let chunkSize = 1 << 20

    static func open(_ url: URL, flags: Int32, mode: mode_t = 0o600) throws -> RawFile {
        let fd = url.path.withCString { Glibc.open($0, flags | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw ImageError.io("open \(url.path)", errno) }
        return RawFile(fd: fd, path: url.path)
    }

    func close() { _ = Glibc.close(fd) }

    /// Calls `body` with each chunk of the rest of the file, in order.
    func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw ImageError.io("read \(path)", errno)
            }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
    }

    /// Reads at most `limit` bytes; nil when the file is longer.
    func readAll(limit: Int) throws -> Data? {
        var data = Data()
        var tooLong = false
        try forEachChunk { chunk in
            if data.count + chunk.count > limit { tooLong = true; return }
            data.append(contentsOf: chunk)
        }
        return tooLong ? nil : data
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ImageError.io("write \(path)", errno)
            }
            offset += n
        }
    }

    func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw ImageError.io("fsync \(path)", errno) }
    }

    /// Makes a rename inside `directory` durable.
    static func syncDirectory(_ directory: URL) {
        guard let dir = try? open(directory, flags: O_RDONLY | O_DIRECTORY) else { return }
        _ = fsync(dir.fd)
        dir.close()
    }

    /// Replaces `destination` with `data` so that readers see the old or the new file, never
    /// a partial one: write a temporary file beside it, fsync, rename, fsync the folder.
    static func writeAtomically(_ data: Data, to destination: URL, temporary: URL, mode: mode_t = 0o600) throws {
        let file = try open(temporary, flags: O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        do {
            try file.write(data)
            try file.sync()
            file.close()
        } catch {
            file.close()
            unlink(temporary.path)
            throw error
        }
        _ = chmod(temporary.path, mode)
        guard rename(temporary.path, destination.path) == 0 else {
            let code = errno
            unlink(temporary.path)
            throw ImageError.io("rename \(temporary.path) to \(destination.path)", code)
        }
        syncDirectory(destination.deletingLastPathComponent())
    }
}
