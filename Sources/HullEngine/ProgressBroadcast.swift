import HullModel
import Synchronization

/// The progress lines of one transfer, for every client that follows it: a client that
/// joins late first gets what was said so far, then the rest as it comes.
final class ProgressBroadcast: Sendable {
    private struct State {
        var history: [ProgressMessage] = []
        var followers: [Int: AsyncStream<ProgressMessage>.Continuation] = [:]
        var nextFollower = 0
        var finished = false
    }

    /// Lines kept for late joiners; byte counts are dropped first when there are more.
    static let historyLimit = 2048
    private let state = Mutex(State())

    func send(_ message: ProgressMessage) {
        let followers = state.withLock { s -> [AsyncStream<ProgressMessage>.Continuation] in
            guard !s.finished else { return [] }
            s.history.append(message)
            if s.history.count > Self.historyLimit {
                // A blob's byte count says less than its status lines.
                if let i = s.history.firstIndex(where: { $0.progressDetail?.current != nil }) {
                    s.history.remove(at: i)
                } else {
                    s.history.removeFirst()
                }
            }
            return Array(s.followers.values)
        }
        for follower in followers { follower.yield(message) }
    }

    func finish() {
        let followers = state.withLock { s -> [AsyncStream<ProgressMessage>.Continuation] in
            s.finished = true
            defer { s.followers = [:] }
            return Array(s.followers.values)
        }
        for follower in followers { follower.finish() }
    }

    /// Everything so far, then what follows until `finish`.
    package func follow() -> AsyncStream<ProgressMessage> {
        let (stream, continuation) = AsyncStream.makeStream(of: ProgressMessage.self, bufferingPolicy: .bufferingNewest(Self.historyLimit))
        let key = state.withLock { s -> Int? in
            for message in s.history { continuation.yield(message) }
            guard !s.finished else { return nil }
            let key = s.nextFollower
            s.nextFollower += 1
            s.followers[key] = continuation
            return key
        }
        guard let key else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.followers.removeValue(forKey: key) }
        }
        return stream
    }
}

/// At most one transfer per key at a time: asking for one that runs joins it (two
/// `hull pull busybox` at once make one download). The transfer runs to its end even
/// when every client went away, so a retry finds the blobs in the store.
final class TransferCoalescer: Sendable {
    private let running = Mutex<[String: ProgressBroadcast]>([:])

    /// The progress of the transfer `key` names, started with `work` unless one runs.
    /// `work` reports through the broadcast it is given and finishes it with an `error`
    /// or `result` line.
    package func follow(_ key: String, work: @escaping @Sendable (ProgressBroadcast) async -> Void) -> AsyncStream<ProgressMessage> {
        let (broadcast, started) = running.withLock { r -> (ProgressBroadcast, Bool) in
            if let existing = r[key] { return (existing, false) }
            let fresh = ProgressBroadcast()
            r[key] = fresh
            return (fresh, true)
        }
        let stream = broadcast.follow()
        if started {
            Task {
                await work(broadcast)
                // Gone from the table before the followers hear the end: a later ask
                // starts afresh instead of joining a finished transfer.
                _ = running.withLock { $0.removeValue(forKey: key) }
                broadcast.finish()
            }
        }
        return stream
    }

    var count: Int { running.withLock { $0.count } }
}
