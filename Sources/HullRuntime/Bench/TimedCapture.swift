import Foundation
import Glibc
import Synchronization

/// A container's stdout read on a thread: when the first and last bytes came, how many,
/// and the first 64 KiB (the rest is counted and dropped). stderr is kept apart, bounded.
final class TimedCapture: Sendable {
    struct Snapshot {
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?
        var bytes = 0
        var prefix: [UInt8] = []
        var done = false
    }

    let stdio: ProcessStdio
    private let state = Mutex(Snapshot())
    private let errors: Task<String, Never>
    static let keep = 64 * 1024

    init() throws {
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        guard pipe(&out) == 0, pipe(&err) == 0 else { throw ChildProcessError(what: "pipe", code: errno) }
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        stdio = ProcessStdio(stdin: nil, stdout: out[1], stderr: err[1])
        let reader = out[0], errorReader = err[0]
        errors = Task { let t = await ChildProcess.readAll(errorReader, limit: 1 << 16); close(errorReader); return t }
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 256 * 1024)
            while let n = try? FileDescriptorIO.read(reader, into: &buffer), n > 0 {
                let now = ContinuousClock.now
                self.state.withLock { s in
                    if s.first == nil { s.first = now }
                    s.last = now
                    s.bytes += n
                    if s.prefix.count < TimedCapture.keep { s.prefix += buffer[0..<min(n, TimedCapture.keep - s.prefix.count)] }
                }
            }
            close(reader)
            self.state.withLock { $0.done = true }
        }
        thread.name = "hull-bench-stdout"
        thread.start()
    }

    var snapshot: Snapshot { state.withLock { $0 } }
    var text: String { String(decoding: snapshot.prefix, as: UTF8.self) }

    /// Closes the write ends and waits (bounded) until the reader saw end of file.
    func finish() async -> String {
        close(stdio.stdout)
        close(stdio.stderr)
        for _ in 0..<400 where !snapshot.done { try? await Task.sleep(for: .milliseconds(5)) }
        return await errors.value
    }

    /// Waits until stdout contains `marker`; false after `limit`.
    func waitFor(_ marker: String, within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if text.contains(marker) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}
