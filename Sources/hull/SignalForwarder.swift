import Dispatch
import Foundation
import Glibc
import HullProtocol
import HullRuntime

/// Sends the signals `hull run` receives to the container's process, and terminal size
/// changes to its pty, the way `docker run` does. After SIGINT or SIGTERM the container
/// gets `grace` to exit; then it is killed (a pid-namespace init without a handler never
/// sees SIGTERM, just as under Docker).
final class SignalForwarder: @unchecked Sendable {
    // Dispatch sources are not Sendable; `lock` guards them and `killedFor`.
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []
    private var killedFor: Int32?
    private var graceStarted = false
    private let forwarded: [Int32]
    private let grace: Duration

    /// With a terminal, Ctrl-C travels as a byte through the pty, so SIGINT is not
    /// forwarded separately.
    init(forwardInterrupts: Bool, grace: Duration) {
        var list = [SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
        if forwardInterrupts { list.append(SIGINT) }
        forwarded = list
        self.grace = grace
    }

    /// The signal hull received when it had to kill the container after the grace period.
    var killedAfterGrace: Int32? { lock.withLock { killedFor } }

    /// Starts forwarding: `send` delivers a signal to the container, `resize` a window size.
    func attach(send: @escaping @Sendable (Int32) async -> Void,
                resize: (@Sendable (WindowSize) async -> Void)?, terminal: TerminalMode?) {
        var made: [DispatchSourceSignal] = []
        for sig in forwarded {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                Task { await send(sig) }
                if sig == SIGINT || sig == SIGTERM { startGrace(send, for: sig) }
            }
            source.resume()
            made.append(source)
        }
        if let terminal, let resize {
            signal(SIGWINCH, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
            source.setEventHandler {
                if let size = terminal.windowSize() { Task { await resize(size) } }
            }
            source.resume()
            made.append(source)
        }
        lock.withLock { sources.append(contentsOf: made) }
    }

    private func startGrace(_ send: @escaping @Sendable (Int32) async -> Void, for sig: Int32) {
        let first = lock.withLock { () -> Bool in
            defer { graceStarted = true }
            return !graceStarted
        }
        guard first else { return }
        let grace = self.grace
        Task { [self] in
            try? await Task.sleep(for: grace)
            lock.withLock { killedFor = sig }
            await send(SIGKILL)
        }
    }
}
