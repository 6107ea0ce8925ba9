import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An advisory lock on a file (flock): shared for readers, exclusive for writers. Each
/// call opens the file anew, and flock locks belong to the open file, so the lock keeps
/// threads of one process apart as well as separate `hull` processes.
enum FileLock {
    enum Mode { case shared, exclusive }

    static func withLock<T>(_ file: URL, _ mode: Mode, _ body: () throws -> T) throws -> T {
        let fd = file.path.withCString { open($0, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw ImageError.io("open lock \(file.path)", errno) }
        defer { close(fd) }  // closing releases the lock
        while flock(fd, mode == .exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else { throw ImageError.io("lock \(file.path)", errno) }
        }
        return try body()
    }
}
