import CAgentSupport
import Glibc
import HullProtocol

/// Turns a `start` request into a running process: root, stdio, the fork and the child's
/// report of whether its exec succeeded. A request with a runtime spec starts a container
/// (ContainerLauncher.swift); one without runs in the agent's namespaces (diagnostics).
struct ProcessLauncher: Sendable {
    let table: ProcessTable
    let reaper: Reaper
    let writer: FrameWriter
    /// nil in test mode, where the agent must not mount anything.
    let rootfs: RootfsMounter?
    /// Test mode runs on someone's machine: the hostname there is not ours to change.
    let appliesHostname: Bool
    /// The stdin of processes that get none; shared, never closed.
    let devNull: Int32
    /// Running containers by the stream of their main process, for `exec` and `cgroupUsage`.
    let containers = ContainerRegistry()

    /// The process once its exec succeeded (its I/O not started yet), or the error text
    /// for the host.
    func launch(stream: UInt32, spec: ProcessSpec) -> Result<ContainerProcess, AgentError> {
        if let container = spec.container {
            return launchExec(stream: stream, spec: spec, container: container)
        }
        if spec.network != nil && (spec.runtimeSpec == nil || spec.container != nil) {
            return .failure(AgentError("network: only a container's main process (with a runtime spec) carries a network"))
        }
        if let runtimeSpec = spec.runtimeSpec {
            return launchContainer(stream: stream, spec: spec, runtimeSpec: runtimeSpec)
        }
        guard let argv0 = spec.argv.first else { return .failure(AgentError("argv is empty")) }
        guard !table.contains(stream: stream) else {
            return .failure(AgentError("stream \(stream) already has a process"))
        }
        var spec = spec
        if let container = spec.besideContainer {
            guard let pid = table.pid(stream: container) else {
                return .failure(AgentError("no running container on stream \(container)"))
            }
            let inside = spec.cwd.hasPrefix("/") ? spec.cwd : "/" + spec.cwd
            spec.cwd = "/proc/\(pid)/root\(inside)"
        }
        var root: String?
        if let device = spec.rootDevice {
            guard let rootfs else {
                return .failure(AgentError("rootDevice is not supported in test mode"))
            }
            do {
                root = try rootfs.chrootRoot(for: device)
            } catch {
                return .failure(error)
            }
        }
        var hostname = spec.hostname
        if hostname != nil && !appliesHostname {
            Log.info("stream \(stream): test mode: not setting the hostname")
            hostname = nil
        }
        let stdio: ProcessStdio
        do {
            stdio = try ProcessStdio.make(for: spec, devNull: devNull)
        } catch {
            return .failure(AgentError("\(error)"))
        }
        let process = ContainerProcess(stream: stream, argv0: argv0, stdio: stdio.parent, writer: writer)

        let candidates = CStringArray(ExecutableSearch.candidates(for: argv0, environment: spec.env))
        let argv = CStringArray(spec.argv)
        let envp = CStringArray(spec.env)
        // root, cwd, hostname: C strings that outlive the fork.
        let places = CStringArray([spec.cwd, root, hostname].map { $0 ?? "" })
        var request = hull_spawn_request(
            candidates: candidates.constPointers,
            argv: argv.pointers,
            envp: envp.pointers,
            root: root == nil ? nil : places[1],
            cwd: places[0],
            hostname: hostname == nil ? nil : places[2],
            stdin_fd: stdio.childInput,
            stdout_fd: stdio.childOutput,
            stderr_fd: stdio.childErrorOutput,
            terminal: stdio.isTerminal ? 1 : 0)
        var resultFD: Int32 = -1
        let pid: pid_t
        switch table.start(process, stdio: stdio, reaper: reaper, fork: { hull_spawn(&request, &resultFD) }) {
        case .success(let p): pid = p
        case .failure(let error): return .failure(error)
        }

        defer { withExtendedLifetime((candidates, argv, envp, places)) {} }
        return awaitExec(process, resultFD: resultFD, started: "started \(argv0) as pid \(pid)") { failure in
            describe(failure, spec: spec, root: root)
        }
    }

    /// Reads the child's report: the process once its exec succeeded; otherwise it is
    /// forgotten and the failure described for the host.
    func awaitExec(_ process: ContainerProcess, resultFD: Int32, started: String,
                   describe: (hull_spawn_failure) -> String) -> Result<ContainerProcess, AgentError> {
        var failure = hull_spawn_failure()
        let outcome = hull_spawn_result(resultFD, &failure)
        if outcome == 0 {
            Log.info("stream \(process.stream): \(started)")
            return .success(process)
        }
        table.remove(stream: process.stream)
        process.discard()
        if outcome < 0 {
            return .failure(AgentError("\(SystemError("waiting for the exec of \"\(process.argv0)\""))"))
        }
        return .failure(AgentError(describe(failure)))
    }

    /// The error the host shows; "exec" failures keep the form the host maps to exit
    /// codes 127 (not found) and 126 (not executable), as Docker does.
    private func describe(_ failure: hull_spawn_failure, spec: ProcessSpec, root: String?) -> String {
        let reason = SystemError.message(for: failure.error)
        switch Int(failure.stage) {
        case Int(HULL_SPAWN_STAGE_EXEC.rawValue):
            return "exec \"\(spec.argv[0])\": \(reason)"
        case Int(HULL_SPAWN_STAGE_CWD.rawValue):
            return "chdir \"\(spec.cwd)\": \(reason)"
        case Int(HULL_SPAWN_STAGE_ROOT.rawValue):
            return "entering the root \(root ?? "/"): \(reason)"
        case Int(HULL_SPAWN_STAGE_HOSTNAME.rawValue):
            return "sethostname \"\(spec.hostname ?? "")\": \(reason)"
        case Int(HULL_SPAWN_STAGE_CONTROLLING_TERMINAL.rawValue):
            return "making the terminal the controlling terminal: \(reason)"
        case Int(HULL_SPAWN_STAGE_STDIO.rawValue):
            return "setting up stdio: \(reason)"
        case Int(HULL_SPAWN_STAGE_SETSID.rawValue):
            return "setsid: \(reason)"
        default:
            return "resetting signals: \(reason)"
        }
    }
}
