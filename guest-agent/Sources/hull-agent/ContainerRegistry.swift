import Synchronization

/// The containers started in this guest, by the stream of their main process: what an
/// `exec` into one needs (its plan for user, capabilities, environment; its user).
final class ContainerRegistry: Sendable {
    struct Entry: @unchecked Sendable {
        // ContainerPlan holds only values; it is never mutated after launch.
        let plan: ContainerPlan
        let user: ContainerUser
        /// Its cgroup: execs join it, so they count against the container's limits.
        let cgroup: GuestCgroup
    }

    private let entries = Mutex<[UInt32: Entry]>([:])

    func add(stream: UInt32, _ entry: Entry) {
        entries.withLock { $0[stream] = entry }
    }

    func get(stream: UInt32) -> Entry? {
        entries.withLock { $0[stream] }
    }
}
