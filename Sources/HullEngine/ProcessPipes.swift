import Foundation
import Glibc
import HullRuntime
import Synchronization

/// Host ends of one guest process's stdio inside hulld: the agent session writes output
/// into pipes whose other ends threads drain into the process's `LogFile`; stdin, when
/// open, is a pipe hulld writes what clients send into.
final class ProcessPipes: Sendable {
    let stdio: ProcessStdio
    /// Where clients' stdin goes (non-blocking); nil without -i.
    let stdinWriter: Int32?
    private let outputWriters: [Int32]
    private let drained = DispatchGroup()

    init(openStdin: Bool, log: LogFile) throws {
        var outFDs: [Int32] = [0, 0], errFDs: [Int32] = [0, 0], inFDs: [Int32] = [-1, -1]
        guard ProcessPipes.pipe(&outFDs), ProcessPipes.pipe(&errFDs) else {
            throw EngineError.failed("making output pipes: \(String(cString: strerror(errno)))")
        }
        if openStdin {
            guard ProcessPipes.pipe(&inFDs) else {
                throw EngineError.failed("making the stdin pipe: \(String(cString: strerror(errno)))")
            }
            _ = fcntl(inFDs[1], F_SETFL, fcntl(inFDs[1], F_GETFL) | O_NONBLOCK)
        }
        stdio = ProcessStdio(stdin: openStdin ? inFDs[0] : nil, stdout: outFDs[1], stderr: errFDs[1])
        stdinWriter = openStdin ? inFDs[1] : nil
        outputWriters = [outFDs[1], errFDs[1]]
        for (fd, stream) in [(outFDs[0], UInt8(1)), (errFDs[0], UInt8(2))] {
            drained.enter()
            let group = drained
            let thread = Thread {
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                while true {
                    let n = read(fd, &buffer, buffer.count)
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { break }
                    log.append(stream: stream, Array(buffer[0..<n]))
                }
                close(fd)
                group.leave()
            }
            thread.name = "hulld-output"
            thread.start()
        }
    }

    /// A pipe whose ends are close-on-exec (pipe2 is not exported to Swift).
    private static func pipe(_ fds: inout [Int32]) -> Bool {
        guard Glibc.pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// Call once the process exited and the agent delivered all its output: closes the
    /// write ends and waits until the drain threads logged everything.
    func finish() async {
        for fd in outputWriters { close(fd) }
        closeStdin()
        if let input = stdio.stdin { close(input) }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            drained.notify(queue: .global()) { c.resume() }
        }
    }

    private let stdinClosed = Mutex(false)

    /// Writes client input; waits (without blocking a thread) while the pipe is full.
    func writeStdin(_ bytes: [UInt8]) async throws {
        guard let fd = stdinWriter else { throw EngineError.conflict("stdin is not open for this process (create it with -i)") }
        var offset = 0
        while offset < bytes.count {
            if stdinClosed.withLock({ $0 }) { throw EngineError.conflict("the process's stdin is closed") }
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                offset += n
            } else if n < 0, errno == EAGAIN || errno == EINTR {
                try await Task.sleep(for: .milliseconds(5))
            } else {
                throw EngineError.conflict("the process no longer reads its stdin")
            }
        }
    }

    /// End of input for the process (EOF on its stdin).
    func closeStdin() {
        let fd: Int32? = stdinClosed.withLock { closed in
            defer { closed = true }
            return closed ? nil : stdinWriter
        }
        if let fd { close(fd) }
    }
}
