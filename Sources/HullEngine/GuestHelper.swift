import Foundation
import Glibc
import HullProtocol
import HullRuntime
import Synchronization

/// Runs one of Hull's own tools (busybox in a guest's initramfs) beside a container
/// (`Sandbox.runTool`) — `top`, `stats`, `cp` need no tools in the image. Output is
/// collected, bounded. Modes without such a place refuse with a clear error.
struct GuestHelper {
    package let running: RunningContainer

    struct Output: Sendable {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
    }

    /// `cwd` is a path inside the container's root.
    func run(_ argv: [String], cwd: String = "/", input: [UInt8]? = nil, limit: Int = 64 << 20) async throws -> Output {
        let out = try Pipes.make(), err = try Pipes.make()
        let inPipe = input == nil ? nil : try Pipes.make()
        let collectOut = Collector(fd: out.read, limit: limit)
        let collectErr = Collector(fd: err.read, limit: 1 << 20)
        if let inPipe, let input {
            let fd = inPipe.write
            Thread {
                _ = input.withUnsafeBytes { raw -> Int in
                    var offset = 0
                    while offset < raw.count {
                        let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                        if n <= 0 { break }
                        offset += n
                    }
                    return offset
                }
                close(fd)
            }.start()
        }
        defer {
            if let inPipe { close(inPipe.read) }
        }
        let status: ExitStatus
        do {
            let process = try await running.sandbox.runTool(
                argv, cwd: cwd, stdio: ProcessStdio(stdin: inPipe?.read, stdout: out.write, stderr: err.write))
            status = try await process.wait()
        } catch let error as SandboxError {
            close(out.write)
            close(err.write)
            _ = await collectOut.result()
            _ = await collectErr.result()
            throw EngineError.unsupported("\(error)")
        } catch {
            close(out.write)
            close(err.write)
            _ = await collectOut.result()
            _ = await collectErr.result()
            throw EngineError.failed("running \(argv[0]) in the guest failed: \(error)", cause: error)
        }
        close(out.write)
        close(err.write)
        let stdout = await collectOut.result()
        let stderr = await collectErr.result()
        guard stdout.count <= limit else { throw EngineError.tooLarge("\(argv[0]) in the guest wrote more than \(limit) bytes") }
        return Output(status: status.shellStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
    }
}

enum Pipes {
    static func make() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw EngineError.failed("pipe: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }
}

/// Reads a descriptor to its end on a thread of its own, keeping at most `limit` + 1 bytes.
final class Collector: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let box = Mutex<[UInt8]>([])

    init(fd: Int32, limit: Int) {
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                self.box.withLock { b in if b.count <= limit { b += buffer[0..<min(n, limit + 1 - b.count)] } }
            }
            close(fd)
            self.done.signal()
        }.start()
    }

    func result() async -> [UInt8] {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.done.wait()
                c.resume()
            }
        }
        return box.withLock { $0 }
    }
}
