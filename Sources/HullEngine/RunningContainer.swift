import Foundation
import HullProtocol
import HullRuntime
import Synchronization

/// What hulld holds for a running container: its sandbox (guest, or runc/runsc
/// container) with its main process, that process's pipes, and the execs started in it.
package final class RunningContainer: Sendable {
    package let sandbox: any Sandbox
    package let process: any ContainerProcess
    package let mode: IsolationMode
    /// Whether the container keeps running when hulld exits (IsolationDriver.outlivesHull).
    package let outlivesHull: Bool
    /// The libvirt domain whose lifecycle events concern this container (vm), else nil.
    package let domain: String?
    package let pipes: ProcessPipes
    package let execs = Mutex<[String: ExecSession]>([:])
    /// Set by stop/kill/libvirt events before the exit is recorded: why it ended, when
    /// not by itself.
    package let endReason = Mutex<String?>(nil)
    package let stdinAttached = Mutex(false)
    /// Fired once its exit is stored and it left `live` (stop waits on it).
    package let gone = OneShotEvent()

    /// True for the first client that sends stdin; others are refused.
    package func claimStdin() -> Bool {
        stdinAttached.withLock { a in defer { a = true }; return !a }
    }

    package init(sandbox: any Sandbox, process: any ContainerProcess, mode: IsolationMode, outlivesHull: Bool,
         domain: String?, pipes: ProcessPipes) {
        self.sandbox = sandbox
        self.process = process
        self.mode = mode
        self.outlivesHull = outlivesHull
        self.domain = domain
        self.pipes = pipes
    }
}

/// One `exec` process in a running container.
package final class ExecSession: Sendable {
    package let id: String
    package let containerID: String
    package let command: [String]
    package let log: LogFile
    package let pipes: ProcessPipes
    package let process: Mutex<(any ContainerProcess)?> = Mutex(nil)
    package let exit = Mutex<Int32?>(nil)
    package let stdinAttached = Mutex(false)
    private let waiters = Mutex<[CheckedContinuation<Int32, Never>]>([])

    package init(id: String, containerID: String, command: [String], log: LogFile, pipes: ProcessPipes) {
        self.id = id
        self.containerID = containerID
        self.command = command
        self.log = log
        self.pipes = pipes
    }

    package func claimStdin() -> Bool {
        stdinAttached.withLock { a in defer { a = true }; return !a }
    }

    package func finished(_ code: Int32) {
        exit.withLock { $0 = code }
        for w in waiters.withLock({ w in defer { w.removeAll() }; return w }) { w.resume(returning: code) }
    }

    package func wait() async -> Int32 {
        await withCheckedContinuation { (c: CheckedContinuation<Int32, Never>) in
            let now: Int32? = exit.withLock { code in
                if code == nil { waiters.withLock { $0.append(c) } }
                return code
            }
            if let now { c.resume(returning: now) }
        }
    }

    package var info: ExecInfoSnapshot {
        ExecInfoSnapshot(id: id, containerID: containerID, command: command, exitCode: exit.withLock { $0 })
    }
}

package struct ExecInfoSnapshot: Sendable {
    package var id: String
    package var containerID: String
    package var command: [String]
    package var exitCode: Int32?
}
