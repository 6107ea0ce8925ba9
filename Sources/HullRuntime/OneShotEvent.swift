import Synchronization

/// Something that happens once (a container's exit stored, a guest's stop reported),
/// awaited with a deadline instead of polled.
public final class OneShotEvent: Sendable {
    public init() {}

    private struct State {
        var fired = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var next = 0
    }

    private let state = Mutex(State())

    public var fired: Bool { state.withLock { $0.fired } }

    public func fire() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.fired = true
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// True when the event has happened by the end of `duration`.
    public func wait(for duration: Duration) async -> Bool {
        if fired { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitFired(); return true }
            group.addTask { try? await Task.sleep(for: duration); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || fired
        }
    }

    /// Returns when fired, or at once when the task is cancelled.
    private func waitFired() async {
        let id = state.withLock { s -> Int in
            defer { s.next += 1 }
            return s.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.fired || Task.isCancelled { return true }
                    s.waiters[id] = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
