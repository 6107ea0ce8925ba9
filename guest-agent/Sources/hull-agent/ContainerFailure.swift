import CAgentSupport

/// The error text for a container child that stopped before its exec: the step, the thing
/// it concerned, and the errno. "exec" failures keep the form the host maps to exit codes
/// 127 and 126.
enum ContainerFailure {
    /// In the order of container.c's standard_devices, then standard_links.
    static let devicePaths = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"]
    static let linkPaths = ["/dev/ptmx", "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/core"]

    static func describe(_ failure: hull_spawn_failure, plan: ContainerPlan, user: ContainerUser,
                         guestMounts: [String]) -> String {
        let reason = SystemError.message(for: failure.error)
        let i = Int(failure.index)
        func item<T>(_ list: [T], _ show: (T) -> String) -> String {
            list.indices.contains(i) ? show(list[i]) : "entry \(i)"
        }
        let capability = CapabilityNames.numbers.first { $0.value == i }?.key ?? "capability \(i)"
        let step: String
        switch hull_container_stage(UInt32(bitPattern: failure.stage)) {
        case HULL_CONTAINER_STAGE_EXEC: step = "exec \"\(plan.args[0])\""
        case HULL_CONTAINER_STAGE_SIGNALS: step = "resetting signals"
        case HULL_CONTAINER_STAGE_SETSID: step = "setsid"
        case HULL_CONTAINER_STAGE_STDIO: step = "setting up stdio"
        case HULL_CONTAINER_STAGE_PROPAGATION: step = "making the container's mounts private"
        case HULL_CONTAINER_STAGE_BIND_SOURCE: step = item(plan.mounts) { "\($0.label): cloning the source" }
        case HULL_CONTAINER_STAGE_ROOTFS: step = "cloning the root filesystem's mount"
        case HULL_CONTAINER_STAGE_DETACH: step = item(guestMounts) { "unmounting the guest's \($0) in the container's namespace" }
        case HULL_CONTAINER_STAGE_GUEST_ROOT_READONLY: step = "making the guest's root read-only in the container's namespace"
        case HULL_CONTAINER_STAGE_ENTER_ROOT: step = "entering the root filesystem (move onto / and chroot)"
        case HULL_CONTAINER_STAGE_MOUNT_POINT: step = item(plan.mounts) { "creating the mount point \($0.destination)" }
        case HULL_CONTAINER_STAGE_MOUNT: step = item(plan.mounts) { $0.label }
        case HULL_CONTAINER_STAGE_MOUNT_FLAGS: step = item(plan.mounts) { "\($0.label): applying its options" }
        case HULL_CONTAINER_STAGE_MOUNT_PROPAGATION: step = item(plan.mounts) { "\($0.label): setting its propagation" }
        case HULL_CONTAINER_STAGE_DEVICE:
            step = i < devicePaths.count ? "mknod \(devicePaths[i])"
                : "symlink \((linkPaths + [""])[min(i - devicePaths.count, linkPaths.count)])"
        case HULL_CONTAINER_STAGE_SYSCTL: step = item(plan.sysctls) { "sysctl \($0.key)=\($0.value)" }
        case HULL_CONTAINER_STAGE_MASK: step = item(plan.maskedPaths) { "masking \($0)" }
        case HULL_CONTAINER_STAGE_READONLY_PATH: step = item(plan.readonlyPaths) { "making \($0) read-only" }
        case HULL_CONTAINER_STAGE_HOSTNAME: step = "sethostname \"\(plan.hostname ?? "")\""
        case HULL_CONTAINER_STAGE_CONSOLE: step = "creating the container's terminal (/dev/ptmx)"
        case HULL_CONTAINER_STAGE_CONSOLE_SEND: step = "handing the container's terminal to the agent"
        case HULL_CONTAINER_STAGE_CONTROLLING_TERMINAL: step = "making the terminal the controlling terminal"
        case HULL_CONTAINER_STAGE_CWD_CREATE: step = "creating the working directory \(plan.cwd)"
        case HULL_CONTAINER_STAGE_CWD: step = "chdir \"\(plan.cwd)\""
        case HULL_CONTAINER_STAGE_ROOT_READONLY: step = "remounting / read-only"
        case HULL_CONTAINER_STAGE_RLIMIT: step = item(plan.rlimits) { "setrlimit \($0.name) (soft \($0.soft), hard \($0.hard))" }
        case HULL_CONTAINER_STAGE_NO_NEW_PRIVILEGES: step = "prctl(PR_SET_NO_NEW_PRIVS)"
        case HULL_CONTAINER_STAGE_BOUNDING: step = "dropping \(capability) from the bounding set"
        case HULL_CONTAINER_STAGE_KEEP_CAPABILITIES: step = "prctl(PR_SET_KEEPCAPS)"
        case HULL_CONTAINER_STAGE_GROUPS: step = "setgroups \(user.additionalGids)"
        case HULL_CONTAINER_STAGE_GID: step = "setgid \(user.gid)"
        case HULL_CONTAINER_STAGE_UID: step = "setuid \(user.uid)"
        case HULL_CONTAINER_STAGE_CAPABILITIES: step = "capset"
        case HULL_CONTAINER_STAGE_AMBIENT: step = i < 0 ? "clearing the ambient set" : "raising \(capability) in the ambient set"
        case HULL_CONTAINER_STAGE_JOIN_NAMESPACE:
            step = "joining the container's \(ExecNamespaces.kinds.indices.contains(i) ? ExecNamespaces.kinds[i] : "?") namespace"
        case HULL_CONTAINER_STAGE_CGROUP: step = "joining the container's cgroup (its resource limits)"
        default: step = "container setup step \(failure.stage)"
        }
        return "\(step): \(reason)"
    }
}
