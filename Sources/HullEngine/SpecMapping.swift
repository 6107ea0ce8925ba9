import Foundation
import HullModel
import HullProtocol
import HullRuntime

/// A ContainerSpec as the runtime's `RunOptions`, checked the way `hull run` checks its flags.
enum SpecMapping {
    static func options(for spec: ContainerSpec, paths: HullPaths = HullPaths()) throws -> RunOptions {
        do {
            try spec.validate()
        } catch {
            throw EngineError.invalid(error.description)
        }
        let process = spec.process

        var options = RunOptions()
        options.rootfs = try rootfs(of: spec)
        options.interactive = process.openStdin
        var flags = ContainerFlags()
        flags.command = process.command
        flags.entrypoint = process.entrypoint
        flags.env = process.env
        flags.workdir = process.workdir
        flags.user = process.user
        flags.hostname = spec.hostname
        flags.readOnly = spec.readOnly
        flags.tmpfs = spec.tmpfs
        for mount in spec.mounts {
            switch mount.type {
            case .bind:
                flags.volumes.append(VolumeMount(hostPath: mount.source ?? "", destination: mount.target, readOnly: mount.readOnly))
            case .volume:
                let data = VolumeStore(root: paths.volumes).dataPath(mount.source ?? "").path
                flags.volumes.append(VolumeMount(hostPath: data, destination: mount.target, readOnly: mount.readOnly))
            case .tmpfs:
                var options = mount.tmpfsSize.map { ["size=\($0)"] } ?? []
                if mount.readOnly { options.append("ro") }
                flags.tmpfs.append(options.isEmpty ? mount.target : mount.target + ":" + options.joined(separator: ","))
            }
        }
        flags.tty = process.tty
        flags.noNewPrivileges = process.noNewPrivileges
        // -1 is unlimited (RLIM_INFINITY, UInt64.max); validate() bounded the rest.
        flags.rlimits = process.ulimits.map { limit in
            let value = { (v: Int64) -> UInt64 in v < 0 ? UInt64.max : UInt64(v) }
            return RuntimeSpec.Rlimit(type: "RLIMIT_" + limit.name.uppercased(), hard: value(limit.hard), soft: value(limit.soft))
        }
        // Cgroup limits: on the host under runc/runsc, in the guest under vm (the agent's
        // cgroup for the container), with the guest sized above them (below).
        flags.memoryMiB = spec.limits.memoryMiB
        flags.memorySwapMiB = spec.limits.memorySwapMiB
        flags.cpus = spec.limits.cpus
        flags.pidsLimit = spec.limits.pidsLimit
        options.container = flags
        options.storageSizeMiB = spec.limits.storageSizeMiB
        // Bounded by validate(): no overflow, no trapping conversion.
        if let memory = spec.limits.memoryMiB { options.guest.memoryMiB = GuestConfig.memoryMiB(forContainer: memory) }
        if let cpus = spec.limits.cpus { options.guest.vcpus = InputLimits.vcpus(for: cpus) }
        options.guest.accelerationOverride = spec.guest.accel
        options.guest.extraKernelArgs = spec.guest.kernelArgs
        if let t = spec.guest.bootTimeout {
            options.guest.bootTimeout = InputLimits.duration(seconds: t, limit: InputLimits.maxBootSeconds)
        }
        // A detached TTY has no terminal to ask; clients resize once they attach.
        if process.tty { options.windowSize = WindowSize(rows: 24, columns: 80) }
        return options
    }

    /// The image, or the host directory or tarball `rootfs` names (which must exist: 404).
    static func rootfs(of spec: ContainerSpec) throws -> RootfsSource {
        guard let path = spec.rootfs else { return .image(spec.image) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EngineError.notFound("rootfs \(path): no such file or directory on hulld's host")
        }
        let url = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        guard url.path != "/" else {
            throw EngineError.conflict("rootfs \(path) is the host's root: hulld does not copy it into a container")
        }
        return isDirectory.boolValue ? .directory(url) : .tarball(url)
    }

    /// The spec's flags that only some isolation modes honour.
    static func modeSpecificFlags(of spec: ContainerSpec) -> Set<ModeSpecificFlag> {
        var given: Set<ModeSpecificFlag> = []
        if spec.guest.accel != nil { given.insert(.accel) }
        if spec.guest.bootTimeout != nil { given.insert(.bootTimeout) }
        if !spec.guest.kernelArgs.isEmpty { given.insert(.kernelArg) }
        return given
    }
}
