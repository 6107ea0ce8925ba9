import CAgentSupport
import Glibc
import HullProtocol

/// The namespaces an exec joins, in order (mount last: joining it moves the root).
enum ExecNamespaces {
    static let kinds = ["ipc", "uts", "net", "cgroup", "mnt"]
}

/// `start` with `container`: a second process inside a running container (`hull exec`).
/// It joins the container's namespaces (those that differ from the agent's) and root,
/// runs as the container's user with the container's capabilities, and gets the
/// container's environment plus its own.
extension ProcessLauncher {
    func launchExec(stream: UInt32, spec: ProcessSpec, container: UInt32) -> Result<ContainerProcess, AgentError> {
        guard !table.contains(stream: stream) else {
            return .failure(AgentError("stream \(stream) already has a process"))
        }
        guard let argv0 = spec.argv.first else { return .failure(AgentError("exec: the command is empty")) }
        guard let target = containers.get(stream: container), let pid = table.pid(stream: container) else {
            return .failure(AgentError("exec: no running container on stream \(container)"))
        }
        var plan = target.plan
        plan.args = spec.argv
        plan.env = EnvironmentMerge.merge(plan.env, spec.env)
        if !spec.cwd.isEmpty { plan.cwd = spec.cwd }

        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        func open(_ path: String, _ flags: Int32) throws(AgentError) -> Int32 {
            let fd = Glibc.open(path, flags | O_CLOEXEC)
            guard fd >= 0 else { throw AgentError("exec: \(SystemError("open \(path)"))") }
            fds.append(fd)
            return fd
        }
        var namespaceFDs: [Int32] = []
        let pidNamespace: Int32, ownPidNamespace: Int32, root: Int32
        do throws(AgentError) {
            for kind in ExecNamespaces.kinds where Self.differs(kind, pid: pid) {
                namespaceFDs.append(try open("/proc/\(pid)/ns/\(kind)", O_RDONLY))
            }
            pidNamespace = try open("/proc/\(pid)/ns/pid", O_RDONLY)
            ownPidNamespace = try open("/proc/self/ns/pid", O_RDONLY)
            root = hull_open_directory_path("/proc/\(pid)/root")
            guard root >= 0 else { throw AgentError("exec: \(SystemError("open /proc/\(pid)/root"))") }
            fds.append(root)
        } catch {
            return .failure(error)
        }

        let stdio: ProcessStdio
        do {
            stdio = try ProcessStdio.make(for: spec, devNull: devNull)
        } catch {
            return .failure(AgentError("\(error)"))
        }
        let process = ContainerProcess(stream: stream, argv0: argv0, stdio: stdio.parent, writer: writer)
        let arena = CArena()
        var request = ContainerRequest.make(plan: plan, user: target.user, root: "/", guestMounts: [],
                                            stdio: stdio, windowSize: nil, cgroupProcs: target.cgroup.procs,
                                            arena: arena)
        var resultFD: Int32 = -1
        let started = withUnsafePointer(to: &request) { containerRequest in
            namespaceFDs.withUnsafeBufferPointer { nsFDs in
                var exec = hull_exec_request(container: containerRequest, ns_fds: nsFDs.baseAddress,
                                             ns_count: Int32(nsFDs.count), root_fd: root,
                                             terminal: stdio.isTerminal ? 1 : 0,
                                             pid_ns_fd: pidNamespace, own_pid_ns_fd: ownPidNamespace)
                return table.start(process, stdio: stdio, reaper: reaper, fork: { hull_spawn_exec(&exec, &resultFD) })
            }
        }
        let childPID: pid_t
        switch started {
        case .success(let p): childPID = p
        case .failure(let error): return .failure(AgentError("exec: \(error)"))
        }
        defer { withExtendedLifetime(arena) {} }
        return awaitExec(process, resultFD: resultFD,
                         started: "exec \(argv0) in the container of stream \(container) as pid \(childPID)") { failure in
            ContainerFailure.describe(failure, plan: plan, user: target.user, guestMounts: [])
        }
    }

    /// True when the container's namespace of this kind is not the agent's own.
    private static func differs(_ kind: String, pid: pid_t) -> Bool {
        var mine = stat(), theirs = stat()
        guard stat("/proc/self/ns/\(kind)", &mine) == 0, stat("/proc/\(pid)/ns/\(kind)", &theirs) == 0 else { return false }
        return mine.st_ino != theirs.st_ino || mine.st_dev != theirs.st_dev
    }
}

/// Docker's exec environment: the container's, with the exec's own variables replacing
/// those of the same name.
enum EnvironmentMerge {
    static func merge(_ base: [String], _ extra: [String]) -> [String] {
        func key(_ entry: String) -> Substring { entry.split(separator: "=", maxSplits: 1).first ?? Substring(entry) }
        let overridden = Set(extra.map(key))
        return base.filter { !overridden.contains(key($0)) } + extra
    }
}
