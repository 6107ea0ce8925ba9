import Dispatch
import Foundation
import Glibc
import HullProtocol
import HullRuntime

/// Sends the signals `hull run` receives to the container's process, and terminal size
/// changes to its pty, the way `docker run` does.
final class SignalForwarder: @unchecked Sendable {
    // Dispatch sources are not Sendable; `lock` guards the list that keeps them alive.
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []
    private let forwarded: [Int32]

    /// With a terminal, Ctrl-C travels as a byte through the pty, so SIGINT is not
    /// forwarded separately.
    init(forwardInterrupts: Bool) {
        var list = [SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
        if forwardInterrupts { list.append(SIGINT) }
        forwarded = list
    }

    func attach(_ process: GuestProcess, terminal: TerminalMode?) {
        var made: [DispatchSourceSignal] = []
        for sig in forwarded {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { Task { try? await process.signal(sig) } }
            source.resume()
            made.append(source)
        }
        if let terminal {
            signal(SIGWINCH, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
            source.setEventHandler {
                if let size = terminal.windowSize() { Task { try? await process.resize(size) } }
            }
            source.resume()
            made.append(source)
        }
        lock.withLock { sources.append(contentsOf: made) }
    }
}
