import CAgentSupport
import HullProtocol

/// The C request for container.c, its strings and arrays in `arena` (which must outlive
/// the clone and the child's report).
enum ContainerRequest {
    static func make(plan: ContainerPlan, user: ContainerUser, root: String, guestMounts: [String],
                     stdio: ProcessStdio, windowSize: WindowSize?, cgroupProcs: Int32 = -1,
                     arena: CArena) -> hull_container_request {
        let mounts = plan.mounts.map { m in
            hull_container_mount(
                destination: arena.string(m.destination), type: arena.string(m.type), source: arena.string(m.source),
                flags: m.options.flags, data: arena.optionalString(m.data),
                bind: m.isBind ? (m.options.recursive ? 2 : 1) : 0,
                propagation: m.options.propagation, is_file: m.isFile ? 1 : 0)
        }
        let rlimits = plan.rlimits.map { hull_container_rlimit(resource: $0.resource, soft: $0.soft, hard: $0.hard) }
        let caps = plan.capabilities
        return hull_container_request(
            candidates: arena.strings(ExecutableSearch.candidates(for: plan.args[0], environment: plan.env)),
            argv: arena.mutableStrings(plan.args),
            envp: arena.mutableStrings(plan.env),
            clone_flags: plan.cloneFlags,
            rootfs: arena.string(root),
            guest_mounts: arena.strings(guestMounts),
            mounts: arena.array(mounts), mount_count: Int32(mounts.count),
            populate_dev: plan.populateDev ? 1 : 0,
            sysctl_paths: arena.strings(plan.sysctls.map(\.path)),
            sysctl_values: arena.strings(plan.sysctls.map(\.value)),
            sysctl_count: Int32(plan.sysctls.count),
            masked_paths: arena.strings(plan.maskedPaths), masked_count: Int32(plan.maskedPaths.count),
            readonly_paths: arena.strings(plan.readonlyPaths), readonly_count: Int32(plan.readonlyPaths.count),
            hostname: arena.optionalString(plan.hostname),
            readonly_root: plan.readonlyRoot ? 1 : 0,
            cwd: arena.string(plan.cwd),
            rlimits: arena.array(rlimits), rlimit_count: Int32(rlimits.count),
            umask: plan.umask,
            no_new_privileges: plan.noNewPrivileges ? 1 : 0,
            uid: user.uid, gid: user.gid,
            groups: arena.array(user.additionalGids), group_count: Int32(user.additionalGids.count),
            cap_bounding: caps.bounding, cap_effective: caps.effective, cap_permitted: caps.permitted,
            cap_inheritable: caps.inheritable, cap_ambient: caps.ambient, cap_last: Int32(plan.lastCap),
            stdin_fd: stdio.childInput, stdout_fd: stdio.childOutput, stderr_fd: stdio.childErrorOutput,
            console: stdio.isTerminal ? 1 : 0,
            rows: windowSize?.rows ?? 0, columns: windowSize?.columns ?? 0,
            cgroup_procs_fd: cgroupProcs)
    }
}
