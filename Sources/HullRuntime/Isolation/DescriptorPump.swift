import Foundation
import Glibc

/// Copies one descriptor to another on a thread of its own until end of file: the
/// container's pty to hull's stdout, hull's stdin to the pty, and the runtime's stderr,
/// which is held back (it may be the runtime's own error message) until released.
final class DescriptorPump: @unchecked Sendable {
    enum Mode { case hold, forward, discard }

    // `lock` guards mode, held and finished; target writes happen under it so that held
    // bytes go out before newer ones.
    private let lock = NSLock()
    private var mode: Mode
    private var held: [UInt8] = []
    private var finished = false
    private let target: Int32
    static let holdLimit = 64 * 1024

    init(from source: Int32, to target: Int32, mode: Mode, closeSource: Bool, name: String) {
        self.target = target
        self.mode = mode
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            // EIO from a pty's controlling side means every terminal side is closed.
            while let n = try? FileDescriptorIO.read(source, into: &buffer), n > 0 {
                deliver(Array(buffer[0..<n]))
            }
            if closeSource { close(source) }
            lock.withLock { finished = true }
        }
        thread.name = name
        thread.start()
    }

    private func deliver(_ bytes: [UInt8]) {
        lock.withLock {
            switch mode {
            case .hold:
                if held.count < DescriptorPump.holdLimit { held += bytes.prefix(DescriptorPump.holdLimit - held.count) }
            case .forward:
                if (try? FileDescriptorIO.writeAll(target, bytes)) == nil { mode = .discard }
            case .discard:
                break
            }
        }
    }

    /// From now on bytes go to the target, those held first.
    func release() {
        lock.withLock {
            guard mode == .hold else { return }
            mode = .forward
            if !held.isEmpty, (try? FileDescriptorIO.writeAll(target, held)) == nil { mode = .discard }
            held = []
        }
    }

    var heldText: String { lock.withLock { String(decoding: held, as: UTF8.self) } }

    /// Waits up to `limit` for end of file; says whether it came.
    @discardableResult
    func waitForEnd(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if lock.withLock({ finished }) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return lock.withLock { finished }
    }
}
