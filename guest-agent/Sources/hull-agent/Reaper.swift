import CAgentSupport
import Glibc

/// As PID 1 the agent inherits every orphan in the guest; one thread waits for all
/// children and hands each exit to the process table (which ignores pids it does not know).
final class Reaper: Sendable {
    /// Bumped after each fork, so a reaper with no children knows when to look again.
    private let spawned = ConditionLock<UInt64>(0)
    private let table: ProcessTable

    init(table: ProcessTable) {
        self.table = table
    }

    func childSpawned() {
        spawned.withLock { $0 &+= 1 }
    }

    func start() throws(SystemError) {
        try Threads.start("reaper") { self.run() }
    }

    private func run() {
        while true {
            let generation = spawned.withLock { $0 }
            // Peek without reaping: the pid stays taken until the table reaps it.
            let pid = hull_wait_any_exited()
            if pid > 0 {
                table.reap(pid: pid)
                continue
            }
            if errno == ECHILD {
                spawned.wait(until: { $0 != generation }) { _ in }
            } else {
                Log.info("\(SystemError("waitid"))")
                usleep(100_000)
            }
        }
    }
}
