import CAgentSupport
import Glibc
import HullProtocol
import Synchronization

/// Every process the agent started, by stream id and by pid, and the rule for reporting
/// an exit: only when the process was reaped AND all its output streams have ended.
///
/// The pid of a process is only ever touched with the table locked, and a child is reaped
/// with the table locked too, so a pid is never reused while the table still maps it.
final class ProcessTable: Sendable {
    private struct Entry {
        let process: ContainerProcess
        let pid: pid_t
        var exit: ExitStatus?
        var openOutputs: Int
    }

    private struct State {
        var byStream: [UInt32: Entry] = [:]
        var streamByPID: [pid_t: UInt32] = [:]
        /// Exits reported lately, for a host that resumes after missing them.
        var recentExits: [ProcessState] = []
    }
    private static let recentExitLimit = 256

    private let state = Mutex(State())
    private let writer: FrameWriter

    init(writer: FrameWriter) {
        self.writer = writer
    }

    func contains(stream: UInt32) -> Bool {
        state.withLock { $0.byStream[stream] != nil }
    }

    /// The pid of a process not yet reaped.
    func pid(stream: UInt32) -> pid_t? {
        state.withLock { s in s.byStream[stream].flatMap { $0.exit == nil ? $0.pid : nil } }
    }

    /// Runs `fork` (which returns a pid or -1 with errno) with the table locked and
    /// records the child before the reaper can see it.
    /// Starts a child for `process` the one way both launchers need: registered before it
    /// exists (so the reaper cannot miss its exit), the child's ends of its stdio closed in
    /// the agent afterwards, the reaper told; on failure the process is discarded.
    func start(_ process: ContainerProcess, stdio: ProcessStdio, reaper: Reaper,
               fork: () -> pid_t) -> Result<pid_t, AgentError> {
        let registered = register(process, fork: fork)
        stdio.closeChildEnds()
        switch registered {
        case .success:
            reaper.childSpawned()
        case .failure:
            process.discard()
        }
        return registered
    }

    func register(_ process: ContainerProcess, fork: () -> pid_t) -> Result<pid_t, AgentError> {
        state.withLock { s in
            guard s.byStream[process.stream] == nil else {
                return .failure(AgentError("stream \(process.stream) already has a process"))
            }
            let pid = fork()
            guard pid > 0 else {
                return .failure(AgentError("\(SystemError("fork"))"))
            }
            s.byStream[process.stream] = Entry(process: process, pid: pid, exit: nil, openOutputs: process.outputCount)
            s.streamByPID[pid] = process.stream
            return .success(pid)
        }
    }

    /// Forgets a process whose exec failed; the reaper reaps its pid as an unknown child.
    func remove(stream: UInt32) {
        state.withLock { s in
            if let entry = s.byStream.removeValue(forKey: stream) {
                s.streamByPID[entry.pid] = nil
            }
        }
    }

    /// Reaps the exited child `pid` (the reaper saw it with WNOWAIT).
    func reap(pid: pid_t) {
        let finished: (ContainerProcess, ExitStatus)? = state.withLock { s in
            var code: Int32 = -1
            var signal: Int32 = -1
            guard hull_reap(pid, &code, &signal) == 1 else { return nil }
            // Not ours: an orphan re-parented to PID 1, or a process whose start failed.
            guard let stream = s.streamByPID.removeValue(forKey: pid), var entry = s.byStream[stream] else {
                return nil
            }
            let status = signal >= 0 ? ExitStatus(signal: signal) : ExitStatus(code: code)
            entry.exit = status
            if entry.openOutputs == 0 {
                s.byStream[stream] = nil
                return (entry.process, status)
            }
            s.byStream[stream] = entry
            return nil
        }
        if let (process, status) = finished { report(process, status) }
    }

    /// One output stream of `stream` has sent its end-of-stream frame.
    func outputFinished(stream: UInt32) {
        let finished: (ContainerProcess, ExitStatus)? = state.withLock { s in
            guard var entry = s.byStream[stream] else { return nil }
            entry.openOutputs -= 1
            if entry.openOutputs == 0, let status = entry.exit {
                s.byStream[stream] = nil
                return (entry.process, status)
            }
            s.byStream[stream] = entry
            return nil
        }
        if let (process, status) = finished { report(process, status) }
    }

    private func report(_ process: ContainerProcess, _ status: ExitStatus) {
        process.ended()
        var status = status
        if let kills = process.cgroup?.oomKills(), kills > 0 {
            status.oomKilled = true
            Log.info("stream \(process.stream): the OOM killer killed \(kills) process(es) of the container (memory.max reached)")
        }
        let how = status.signal.map { "signal \($0)" } ?? "code \(status.code ?? -1)"
        Log.info("stream \(process.stream): \(process.argv0) exited with \(how)")
        // Recorded and sent as one step with the writer held, so a resume reply either
        // lists this exit or comes before the event.
        writer.exclusive { locked in
            state.withLock { s in
                s.recentExits.append(ProcessState(stream: process.stream, exit: status))
                if s.recentExits.count > ProcessTable.recentExitLimit { s.recentExits.removeFirst() }
            }
            locked.send(Frame(streamID: process.stream, type: .event, payload: MessageCoding.encode(Event.exit(status))))
        }
    }

    /// nil on success, else the error text for the host.
    func replay(_ request: ReplayRequest) -> String? {
        guard let process = state.withLock({ $0.byStream[request.stream]?.process }) else {
            return "no process on stream \(request.stream)"
        }
        process.stdout.replay(from: request.stdout)
        process.stderr?.replay(from: request.stderr)
        return nil
    }

    /// The host went away: every output pump holds what it has until a host resumes.
    func pause() {
        state.withLock { s in
            for entry in s.byStream.values {
                entry.process.stdout.pause()
                entry.process.stderr?.pause()
            }
        }
    }

    /// A host resumes the session (called with the writer held, epoch already new):
    /// every live process's streams restart with full windows in `epoch`. Returns the
    /// running processes and the recent exits.
    func resume(epoch: UInt8) -> [ProcessState] {
        state.withLock { s in
            var states: [ProcessState] = []
            for (stream, entry) in s.byStream.sorted(by: { $0.key < $1.key }) where entry.exit == nil || entry.openOutputs > 0 {
                entry.process.stdout.resume(epoch: epoch)
                entry.process.stderr?.resume(epoch: epoch)
                entry.process.stdin?.resume()
                states.append(ProcessState(stream: stream, exit: nil))
            }
            return states + s.recentExits
        }
    }

    /// nil on success, else the error text for the host.
    func signal(stream: UInt32, _ signal: Int32) -> String? {
        state.withLock { s in
            guard let entry = s.byStream[stream] else { return "no process on stream \(stream)" }
            guard entry.exit == nil else { return "the process on stream \(stream) has exited" }
            let rc = if let terminal = entry.process.terminal {
                hull_signal_terminal_process(entry.pid, terminal, signal)
            } else {
                kill(entry.pid, signal)
            }
            return rc == 0 ? nil : "\(SystemError("signal \(signal) to stream \(stream)"))"
        }
    }

    /// nil on success, else the error text for the host.
    func resize(stream: UInt32, _ size: WindowSize) -> String? {
        state.withLock { s in
            guard let entry = s.byStream[stream] else { return "no process on stream \(stream)" }
            guard let terminal = entry.process.terminal else { return "the process on stream \(stream) has no terminal" }
            return hull_set_window_size(terminal, size.rows, size.columns) == 0
                ? nil : "\(SystemError("resizing the terminal of stream \(stream)"))"
        }
    }

    /// SIGKILL to every running process's process group (test mode's exit).
    func killAll() {
        state.withLock { s in
            for entry in s.byStream.values where entry.exit == nil {
                kill(-entry.pid, SIGKILL)
            }
        }
    }

    func process(stream: UInt32) -> ContainerProcess? {
        state.withLock { $0.byStream[stream]?.process }
    }
}
