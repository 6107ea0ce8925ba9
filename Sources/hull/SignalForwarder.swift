import Dispatch
import Foundation
import Glibc
import HullProtocol
import HullRuntime

/// Sends the signals `hull run` receives to the container's process, and terminal size
/// changes to its pty, the way `docker run` does. After SIGINT or SIGTERM the container
/// gets `grace` to exit; then it is killed (a pid-namespace init without a handler never
/// sees SIGTERM, just as under Docker).
///
/// Signals are caught from `init` on: one that arrives before the container has started
/// (the output stream can show the process's first line before the start call returns)
/// waits and is sent by `attach`, instead of killing `hull run` by default disposition.
final class SignalForwarder: @unchecked Sendable {
    // Dispatch sources are not Sendable; `lock` guards every var below.
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []
    private var killedFor: Int32?
    private var graceStarted = false
    private var send: (@Sendable (Int32) async -> Void)?
    private var pending: [Int32] = []
    private let grace: Duration

    /// With a terminal, Ctrl-C travels as a byte through the pty, so SIGINT is not
    /// forwarded separately.
    init(forwardInterrupts: Bool, grace: Duration) {
        self.grace = grace
        var list = [SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
        if forwardInterrupts { list.append(SIGINT) }
        var made: [DispatchSourceSignal] = []
        for sig in list {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in received(sig) }
            source.resume()
            made.append(source)
        }
        sources = made
    }

    /// The signal hull received when it had to kill the container after the grace period.
    var killedAfterGrace: Int32? { lock.withLock { killedFor } }

    /// Starts forwarding (first what arrived before): `send` delivers a signal to the
    /// container, `resize` a window size.
    func attach(send: @escaping @Sendable (Int32) async -> Void,
                resize: (@Sendable (WindowSize) async -> Void)?, terminal: TerminalMode?) {
        if let terminal, let resize {
            signal(SIGWINCH, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
            source.setEventHandler {
                if let size = terminal.windowSize() { Task { await resize(size) } }
            }
            source.resume()
            lock.withLock { sources.append(source) }
        }
        let early = lock.withLock { () -> [Int32] in
            self.send = send
            defer { pending = [] }
            return pending
        }
        for sig in early { forward(sig, with: send) }
    }

    private func received(_ sig: Int32) {
        let target = lock.withLock { () -> (@Sendable (Int32) async -> Void)? in
            if send == nil { pending.append(sig) }
            return send
        }
        if let target { forward(sig, with: target) }
    }

    private func forward(_ sig: Int32, with send: @escaping @Sendable (Int32) async -> Void) {
        Task { await send(sig) }
        if sig == SIGINT || sig == SIGTERM { startGrace(send, for: sig) }
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
