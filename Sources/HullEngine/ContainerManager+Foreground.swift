import Foundation
import HullModel
import Synchronization

/// Foreground containers (`foreground` in the create request, set by `hull run` without
/// -d) live as long as a client follows their output: when the last follower disconnects
/// before the container exited, hulld kills it, and removes it when it was created with
/// autoRemove — what libvirt's AUTODESTROY did for the CLI's own guests, in every mode.
struct FollowerState: Sendable {
    var count = 0
    /// The last follower disconnected while the container was starting: it is killed as
    /// soon as its start completes.
    var abandoned = false
}

/// One follower of a foreground container. Ends once, by its stream finishing (the
/// container exited) or by its client disconnecting, whichever comes first.
package final class FollowLease: Sendable {
    private let ended = Mutex<Bool>(false)
    private let onEnd: @Sendable (_ disconnected: Bool) -> Void

    init(onEnd: @escaping @Sendable (_ disconnected: Bool) -> Void) {
        self.onEnd = onEnd
    }

    package func end(disconnected: Bool) {
        let first = ended.withLock { e in
            defer { e = true }
            return !e
        }
        if first { onEnd(disconnected) }
    }
}

extension ContainerManager {
    /// A lease for a client that starts following `id`'s output, or nil when the container
    /// is not a foreground one.
    package func followLease(_ id: String) -> FollowLease? {
        guard let record = try? store.find(id), record.spec.foreground else { return nil }
        let slot = slot(id)
        slot.followers.withLock { f in
            f.count += 1
            f.abandoned = false
        }
        return FollowLease { [self] disconnected in
            let abandoned = slot.followers.withLock { f -> Bool in
                f.count -= 1
                let nobody = f.count <= 0
                if nobody { f = FollowerState() }
                return nobody && disconnected
            }
            if abandoned { Task { await self.abandon(id) } }
        }
    }

    /// The last follower of a foreground container went away before it exited.
    func abandon(_ id: String) async {
        guard let record = try? store.find(id) else { return }
        logger.info("foreground client went away", metadata: ["container": "\(id.prefix(12))", "state": "\(record.state.rawValue)"])
        switch record.state {
        case .starting:
            // start() looks at this once the sandbox is up.
            slot(id).followers.withLock { $0.abandoned = true }
        case .running, .stopping:
            if let running = live(id) {
                running.endReason.withLock { if $0 == nil { $0 = "killed: the foreground client that ran it went away" } }
            }
            try? await stop(id, timeout: 0)
        case .created:
            if record.spec.autoRemove { try? await remove(id, force: true) }
        case .exited, .removing:
            break
        }
    }

    /// After a start: a foreground container whose client left while it started is ended.
    func endIfAbandoned(_ id: String) {
        let abandoned = slot(id).followers.withLock { f -> Bool in
            guard f.abandoned, f.count == 0 else { return false }
            f = FollowerState()
            return true
        }
        if abandoned { Task { await self.abandon(id) } }
    }
}

/// The exits of containers removed since hulld started (the latest `limit`), so that a
/// client waiting on an autoRemove container still learns its exit status: `hull run --rm`
/// asks after the output ended, possibly after the removal.
struct ExitTombstones: Sendable {
    static let limit = 1024
    private var results: [String: WaitResult] = [:]
    private var order: [String] = []

    mutating func add(_ id: String, _ result: WaitResult) {
        if results.updateValue(result, forKey: id) == nil { order.append(id) }
        if order.count > Self.limit {
            results.removeValue(forKey: order.removeFirst())
        }
    }

    func result(for id: String) -> WaitResult? { results[id] }
}
