import Foundation
import HullModel
import Synchronization

/// Everything the engine holds for one container besides its stored record, in one
/// place: the lock its operations take turns on, its log, its sandbox while it runs, the
/// clients waiting for its exit and the clients following a foreground run. One per
/// container id (ContainerManager.slot), dropped when the container is removed.
final class ContainerSlot: Sendable {
    package let id: String
    /// Start, stop and remove of this container run one at a time; other containers
    /// never wait for it.
    let lock = AsyncLock()
    /// Its sandbox and main process while it runs.
    package let running = Mutex<RunningContainer?>(nil)
    /// Clients of foreground containers (ContainerManager+Foreground.swift).
    let followers = Mutex(FollowerState())
    private let log = Mutex<LogFile?>(nil)
    private let waiters = Mutex<[CheckedContinuation<WaitResult, any Error>]>([])
    private let directory: URL

    init(id: String, directory: URL) {
        self.id = id
        self.directory = directory
    }

    /// The main process's log, opened (its folder made) on first use with what `policy`
    /// says then (the container's --log-opt).
    func mainLog(policy: () -> LogSpec) throws -> LogFile {
        try log.withLock { log in
            if let log { return log }
            let opened = try LogFile(directory: directory, name: "main", policy: policy())
            log = opened
            return opened
        }
    }

    /// The log as it is, without making one (a removal deletes it).
    func takeLog() -> LogFile? {
        log.withLock { log in defer { log = nil }; return log }
    }

    /// Waits for the exit `decide` does not already know: `decide` runs under the
    /// waiters' lock and answers at once (a result, or an error) or nil to wait, so an
    /// exit stored and announced meanwhile (`wake`) cannot slip between.
    func waitForExit(_ decide: () -> Result<WaitResult, any Error>?) async throws -> WaitResult {
        try await withCheckedThrowingContinuation { c in
            waiters.withLock { w in
                if let now = decide() { c.resume(with: now) } else { w.append(c) }
            }
        }
    }

    func wake(_ result: WaitResult) {
        for w in waiters.withLock({ w in defer { w.removeAll() }; return w }) { w.resume(returning: result) }
    }
}
