import HullProtocol

/// Turns image defaults and `hull run` flags into the OCI runtime spec the guest agent
/// executes, with Docker's merge rules and Docker's default confinement (capabilities,
/// masked and read-only paths, mounts). The same spec serves every isolation mode.
public enum RuntimeSpecBuilder {
    public static func build(image: ImageDefaults, flags: ContainerFlags, hostname: String,
                             consoleSize: WindowSize? = nil) throws(ContainerConfigError) -> RuntimeSpec {
        let args = try arguments(image: image, flags: flags)
        var env = merge(image.env, flags.env)
        if !env.contains(where: { $0.hasPrefix("PATH=") }) { env.insert(ImageDefaults.none.env[0], at: 0) }
        env.append("HOSTNAME=\(hostname)")
        if flags.tty && !env.contains(where: { $0.hasPrefix("TERM=") }) { env.append("TERM=xterm") }
        env = merge([], env)

        let cwd = flags.workdir ?? nonEmpty(image.workingDir) ?? "/"
        guard cwd.hasPrefix("/") else { throw .relativeWorkdir(cwd) }

        var annotations: [String: String] = [:]
        var user = RuntimeSpec.User()
        // Without -u or an image User the process runs as root, and, as under Docker, still
        // gets root's supplementary groups from the image's /etc/group: the agent resolves
        // "0" like any other user.
        let requested = flags.user ?? nonEmpty(image.user) ?? "0"
        if let numeric = numericUser(requested) {
            user = numeric
        } else {
            annotations[RuntimeSpec.userAnnotation] = requested
        }

        var mounts = defaultMounts
        for entry in flags.tmpfs {
            mounts.append(try tmpfsMount(entry))
        }
        for helper in flags.helperMounts {
            mounts.append(RuntimeSpec.Mount(destination: helper.destination, type: "bind", source: helper.source,
                                            options: ["rbind", "ro", "nosuid", "nodev"]))
        }
        // Volumes: `source` is already what the isolation boundary sees (OCIBundle.make).
        for volume in flags.volumes {
            mounts.append(RuntimeSpec.Mount(destination: volume.destination, type: "bind", source: volume.hostPath,
                                            options: ["rbind", "rprivate", volume.readOnly ? "ro" : "rw"]))
        }

        for file in flags.etcMounts {
            mounts.append(RuntimeSpec.Mount(destination: file.destination, type: "bind", source: file.source,
                                            options: ["rbind", "rprivate", "rw"]))
        }

        return RuntimeSpec(
            process: RuntimeSpec.Process(
                terminal: flags.tty,
                consoleSize: consoleSize.map { RuntimeSpec.ConsoleSize(height: $0.rows, width: $0.columns) },
                user: user, args: args, env: env, cwd: cwd,
                capabilities: RuntimeSpec.Capabilities(
                    bounding: dockerCapabilities, effective: dockerCapabilities, inheritable: [],
                    permitted: dockerCapabilities, ambient: []),
                rlimits: rlimits(flags),
                noNewPrivileges: flags.noNewPrivileges),
            root: RuntimeSpec.Root(path: "rootfs", readonly: flags.readOnly),
            hostname: hostname,
            mounts: mounts,
            annotations: annotations.isEmpty ? nil : annotations,
            linux: RuntimeSpec.Linux(
                // network: loopback only unless OCIBundle.make gives it the path of the
                // namespace the network hub made; a guest is the network boundary, so the
                // agent ignores it (the guest's eth0 is the container's).
                namespaces: ["pid", "mount", "uts", "ipc", "network"].map { RuntimeSpec.Namespace(type: $0) },
                maskedPaths: maskedPaths, readonlyPaths: readonlyPaths,
                resources: resources(flags)))
    }

    /// Docker's default (RLIMIT_NOFILE 1048576) unless --ulimit names it, then --ulimit's.
    public static func rlimits(_ flags: ContainerFlags) -> [RuntimeSpec.Rlimit] {
        let given = Set(flags.rlimits.map(\.type))
        let defaults = [RuntimeSpec.Rlimit(type: "RLIMIT_NOFILE", hard: 1_048_576, soft: 1_048_576)]
        return defaults.filter { !given.contains($0.type) } + flags.rlimits
    }

    /// `-m`, `--memory-swap`, `--cpus` and `--pids-limit` as cgroup limits; nil when none is
    /// given. Docker's swap rule: without --memory-swap the container may swap as much as
    /// its memory limit (memory plus swap = twice the limit); -1 is unlimited swap.
    static func resources(_ flags: ContainerFlags) -> RuntimeSpec.Resources? {
        let pids = flags.pidsLimit.flatMap { $0 > 0 ? $0 : nil }
        guard flags.memoryMiB != nil || flags.cpus != nil || pids != nil else { return nil }
        let period: UInt64 = 100_000
        // Every value was range-checked where it entered (InputCheck); clamped again here
        // so that none can trap. The kernel refuses quotas under 1 ms.
        let bytes = { (mib: Int) in Int64(min(max(mib, 0), 1 << 30)) << 20 }
        let memory = flags.memoryMiB.map { mib in
            let swap: Int64
            if let total = flags.memorySwapMiB {
                swap = total < 0 ? -1 : bytes(max(total, mib))
            } else {
                swap = bytes(mib) * 2
            }
            return RuntimeSpec.Resources.Memory(limit: bytes(mib), swap: swap)
        }
        return RuntimeSpec.Resources(
            memory: memory,
            cpu: flags.cpus.map { cpus in
                let quota = (min(max(cpus.isNaN ? 1 : cpus, 0), 1024) * Double(period)).rounded()
                return RuntimeSpec.Resources.CPU(quota: max(Int64(quota), 1_000), period: period)
            },
            pids: pids.map { RuntimeSpec.Resources.Pids(limit: Int64(min($0, 1 << 22))) })
    }

    /// Docker: --entrypoint replaces the image's Entrypoint and drops its Cmd; arguments
    /// after the image replace Cmd.
    static func arguments(image: ImageDefaults, flags: ContainerFlags) throws(ContainerConfigError) -> [String] {
        let entrypoint: [String]
        let cmd: [String]
        if let override = flags.entrypoint {
            entrypoint = override.isEmpty ? [] : [override]
            cmd = flags.command
        } else {
            entrypoint = image.entrypoint ?? []
            cmd = flags.command.isEmpty ? (image.cmd ?? []) : flags.command
        }
        if entrypoint.isEmpty && cmd.isEmpty { throw .noCommand }
        return entrypoint + cmd
    }

    /// Later entries win; order of first appearance is kept.
    static func merge(_ base: [String], _ overrides: [String]) -> [String] {
        var order: [String] = []
        var values: [String: String] = [:]
        for entry in base + overrides {
            let key = String(entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            if values[key] == nil { order.append(key) }
            values[key] = entry
        }
        return order.compactMap { values[$0] }
    }

    /// "1000" or "1000:1000": numbers need no lookup in the image.
    static func numericUser(_ spec: String) -> RuntimeSpec.User? {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        guard let uid = UInt32(parts[0]) else { return nil }
        if parts.count == 1 { return nil }  // gid comes from the image's passwd entry
        guard parts.count == 2, let gid = UInt32(parts[1]) else { return nil }
        return RuntimeSpec.User(uid: uid, gid: gid)
    }

    static func tmpfsMount(_ entry: String) throws(ContainerConfigError) -> RuntimeSpec.Mount {
        let parts = entry.split(separator: ":", maxSplits: 1)
        guard let path = parts.first.map(String.init), path.hasPrefix("/"), path != "/" else {
            throw .badTmpfs(entry)
        }
        var options = ["nosuid", "nodev", "noexec"]
        if parts.count == 2 {
            let given = parts[1].split(separator: ",").map(String.init)
            for option in given {
                let name = option.split(separator: "=").first.map(String.init) ?? option
                guard ["size", "mode", "uid", "gid", "nr_inodes", "exec", "noexec", "suid", "nosuid",
                       "dev", "nodev", "ro", "rw"].contains(name) else { throw .badTmpfs(entry) }
            }
            options.removeAll { o in given.contains { $0 == o.replacingOccurrences(of: "no", with: "") } }
            options += given
        }
        return RuntimeSpec.Mount(destination: path, type: "tmpfs", source: "tmpfs", options: options)
    }

    private static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }

    public static let dockerCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    static let defaultMounts = [
        RuntimeSpec.Mount(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
        RuntimeSpec.Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        RuntimeSpec.Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
                          options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        RuntimeSpec.Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
        RuntimeSpec.Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
        RuntimeSpec.Mount(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
    ]

    static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]

    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
}

public enum ContainerConfigError: Error, CustomStringConvertible, Equatable {
    case noCommand
    case relativeWorkdir(String)
    case badTmpfs(String)

    public var description: String {
        switch self {
        case .noCommand: "no command specified: the image has no Entrypoint or Cmd, give one after the image"
        case .relativeWorkdir(let w): "the working directory \(w) is invalid: it needs to be an absolute path"
        case .badTmpfs(let t): "invalid --tmpfs \(t): use PATH[:OPTIONS] with an absolute PATH and options like size=64m,mode=1777"
        }
    }
}
