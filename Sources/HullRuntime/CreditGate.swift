import Foundation

/// Flow-control credit for one direction of one stdio stream: a sender takes credit
/// before it sends, the receiver's `.window` frames give it back.
final class CreditGate: @unchecked Sendable {
    // NSCondition guards `available` and `closed`; @unchecked because the lock does.
    private let condition = NSCondition()
    private var available: UInt64
    private var closed = false
    /// More credit than any window ever outstanding (the agent caps its own the same way).
    static let maxCredit: UInt64 = 1 << 40

    init(initial: UInt32) {
        available = UInt64(initial)
    }

    /// Blocks until some credit is available; returns at most `max` bytes of it, or 0
    /// when the gate was closed.
    func acquire(max: Int) -> Int {
        condition.lock()
        defer { condition.unlock() }
        while available == 0 && !closed { condition.wait() }
        if closed { return 0 }
        let n = Int(min(UInt64(max), available))
        available -= UInt64(n)
        return n
    }

    func grant(_ bytes: UInt32) {
        condition.lock()
        // The guest chooses the increments; saturate rather than trap on its arithmetic.
        available = min(available + UInt64(bytes), Self.maxCredit)
        condition.signal()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
