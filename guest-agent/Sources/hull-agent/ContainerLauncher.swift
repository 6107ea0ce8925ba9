import CAgentSupport
import Glibc
import HullProtocol

/// `start` with a runtime spec: the spec is checked, the root disk mounted, the user
/// resolved from the image, and a child cloned into new namespaces sets up the container
/// and execs (CAgentSupport/container.c). Any failure before the exec fails the request
/// with the step and the errno.
extension ProcessLauncher {
    func launchContainer(stream: UInt32, spec: ProcessSpec, runtimeSpec: RuntimeSpec) -> Result<ContainerProcess, AgentError> {
        guard !table.contains(stream: stream) else {
            return .failure(AgentError("stream \(stream) already has a process"))
        }
        guard let rootfs else {
            return .failure(AgentError("a runtime spec is not supported in test mode (it needs a guest)"))
        }
        guard let device = spec.rootDevice else {
            return .failure(AgentError("a runtime spec needs rootDevice, the disk holding the container's root filesystem"))
        }
        // The NIC and the files the spec binds from /run/hull/etc, before anything else.
        if let network = spec.network {
            do {
                try GuestNetworkSetup.apply(network)
            } catch {
                return .failure(error)
            }
        }
        var plan: ContainerPlan
        let user: ContainerUser
        let root: String
        do {
            plan = try ContainerPlan(runtimeSpec, lastCap: CapabilityNames.kernelLastCap())
            root = try rootfs.root(for: device, writable: spec.writableDevice)
            let accounts = ImageAccounts(root: root)
            user = try ContainerUser.of(plan, in: accounts)
        } catch {
            return .failure(error)
        }
        // runc's rule: HOME from the image's passwd entry when the environment has none.
        if !plan.env.contains(where: { $0.hasPrefix("HOME=") }) {
            plan.env.append("HOME=\(user.home)")
        }
        let guestMounts = GuestMountTable.mountPointsToDetach()
        let cgroup: GuestCgroup
        do {
            cgroup = try GuestCgroup.make(stream: stream, resources: runtimeSpec.linux?.resources)
        } catch {
            return .failure(error)
        }

        let stdio: ProcessStdio
        do {
            stdio = try ProcessStdio.makeForContainer(spec, devNull: devNull)
        } catch {
            return .failure(AgentError("\(error)"))
        }
        let process = ContainerProcess(stream: stream, argv0: plan.args[0], stdio: stdio.parent, writer: writer,
                                       cgroup: cgroup)
        let size = spec.windowSize
            ?? runtimeSpec.process.consoleSize.map { WindowSize(rows: $0.height, columns: $0.width) }

        let arena = CArena()
        var request = ContainerRequest.make(plan: plan, user: user, root: root, guestMounts: guestMounts,
                                            stdio: stdio, windowSize: size, cgroupProcs: cgroup.procs, arena: arena)
        var resultFD: Int32 = -1
        let pid: pid_t
        switch table.start(process, stdio: stdio, reaper: reaper, fork: { hull_spawn_container(&request, &resultFD) }) {
        case .success(let p): pid = p
        case .failure(let error): return .failure(AgentError("starting the container: \(error)"))
        }

        var failure = hull_spawn_failure()
        var console: Int32 = -1
        let outcome = hull_container_result(resultFD, &failure, &console)
        withExtendedLifetime(arena) {}
        if outcome == 0 {
            do {
                if stdio.isTerminal {
                    guard console >= 0 else { throw AgentError("the container's terminal never arrived") }
                    try stdio.adoptTerminal(master: console)
                }
            } catch {
                kill(pid, SIGKILL)
                table.remove(stream: stream)
                process.discard()
                return .failure(AgentError("\(error)"))
            }
            containers.add(stream: stream, ContainerRegistry.Entry(plan: plan, user: user, cgroup: cgroup))
            Log.info("stream \(stream): started container process \(plan.args[0]) as pid \(pid) (uid \(user.uid), gid \(user.gid))")
            return .success(process)
        }
        table.remove(stream: stream)
        process.discard()
        if outcome < 0 {
            return .failure(AgentError("\(SystemError("waiting for the exec of \"\(plan.args[0])\""))"))
        }
        return .failure(AgentError(ContainerFailure.describe(failure, plan: plan, user: user, guestMounts: guestMounts)))
    }
}
