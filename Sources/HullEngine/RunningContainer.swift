import Foundation
import HullProtocol
import HullRuntime
import Synchronization

/// What hulld holds for a running container: its sandbox (guest, or runc/runsc
/// container) with its main process, that process's pipes, and the execs started in it.
final class RunningContainer: Sendable {
    let sandbox: any Sandbox
    let process: any ContainerProcess
    let mode: IsolationMode
    /// Whether the container keeps running when hulld exits (IsolationDriver.outlivesHull).
    let outlivesHull: Bool
    let pipes: ProcessPipes
    let execs = Mutex<[String: ExecSession]>([:])
    /// Set by stop/kill/libvirt events before the exit is recorded: why it ended, when
    /// not by itself.
    let endReason = Mutex<String?>(nil)
    let stdinAttached = Mutex(false)
    /// Fired once its exit is stored and it is no longer its slot's running one (stop waits on it).
    let gone = OneShotEvent()

    /// True for the first client that sends stdin; others are refused.
    func claimStdin() -> Bool {
        stdinAttached.withLock { a in defer { a = true }; return !a }
    }

    init(sandbox: any Sandbox, process: any ContainerProcess, mode: IsolationMode, outlivesHull: Bool,
         pipes: ProcessPipes) {
        self.sandbox = sandbox
        self.process = process
        self.mode = mode
        self.outlivesHull = outlivesHull
        self.pipes = pipes
    }
}

/// One `exec` process in a running container.
final class ExecSession: Sendable {
    let id: String
    let containerID: String
    let command: [String]
    let log: LogFile
    let pipes: ProcessPipes
    let process: Mutex<(any ContainerProcess)?> = Mutex(nil)
    let exit = Mutex<Int32?>(nil)
    let stdinAttached = Mutex(false)
    private let waiters = Mutex<[CheckedContinuation<Int32, Never>]>([])

    init(id: String, containerID: String, command: [String], log: LogFile, pipes: ProcessPipes) {
        self.id = id
        self.containerID = containerID
        self.command = command
        self.log = log
        self.pipes = pipes
    }

    func claimStdin() -> Bool {
        stdinAttached.withLock { a in defer { a = true }; return !a }
    }

    func finished(_ code: Int32) {
        exit.withLock { $0 = code }
        for w in waiters.withLock({ w in defer { w.removeAll() }; return w }) { w.resume(returning: code) }
    }

    func wait() async -> Int32 {
        await withCheckedContinuation { (c: CheckedContinuation<Int32, Never>) in
            let now: Int32? = exit.withLock { code in
                if code == nil { waiters.withLock { $0.append(c) } }
                return code
            }
            if let now { c.resume(returning: now) }
        }
    }

    var info: ExecInfoSnapshot {
        ExecInfoSnapshot(id: id, containerID: containerID, command: command, exitCode: exit.withLock { $0 })
    }
}

struct ExecInfoSnapshot: Sendable {
    var id: String
    var containerID: String
    var command: [String]
    var exitCode: Int32?
}
