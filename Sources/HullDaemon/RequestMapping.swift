import Foundation
import HullAPI
import HullProtocol
import HullRuntime

/// A create request as `RunOptions`, checked the way `hull run` checks its flags.
enum RequestMapping {
    static func options(for request: CreateContainerRequest, paths: HullPaths = HullPaths()) throws -> RunOptions {
        do {
            try request.validate()
        } catch {
            throw DaemonError.badRequest(error.description)
        }

        var options = RunOptions()
        options.rootfs = try rootfs(of: request)
        options.interactive = request.openStdin
        var flags = ContainerFlags()
        flags.command = request.command
        flags.entrypoint = request.entrypoint
        flags.env = request.env
        flags.workdir = request.workdir
        flags.user = request.user
        flags.hostname = request.hostname
        flags.readOnly = request.readOnly
        flags.tmpfs = request.tmpfs
        for mount in request.mounts {
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
        flags.tty = request.tty
        flags.noNewPrivileges = request.noNewPrivileges
        // -1 is unlimited (RLIM_INFINITY, UInt64.max); validate() bounded the rest.
        flags.rlimits = request.ulimits.map { limit in
            let value = { (v: Int64) -> UInt64 in v < 0 ? UInt64.max : UInt64(v) }
            return RuntimeSpec.Rlimit(type: "RLIMIT_" + limit.name.uppercased(), hard: value(limit.hard), soft: value(limit.soft))
        }
        // Cgroup limits: on the host under runc/runsc, in the guest under vm (the agent's
        // cgroup for the container), with the guest sized above them (below).
        flags.memoryMiB = request.memoryMiB
        flags.memorySwapMiB = request.memorySwapMiB
        flags.cpus = request.cpus
        flags.pidsLimit = request.pidsLimit
        options.container = flags
        options.storageSizeMiB = request.storageSizeMiB
        // Bounded by validate(): no overflow, no trapping conversion.
        if let memory = request.memoryMiB { options.guest.memoryMiB = GuestConfig.memoryMiB(forContainer: memory) }
        if let cpus = request.cpus { options.guest.vcpus = InputLimits.vcpus(for: cpus) }
        options.guest.accelerationOverride = request.accel
        options.guest.extraKernelArgs = request.kernelArgs
        if let t = request.bootTimeout {
            options.guest.bootTimeout = InputLimits.duration(seconds: t, limit: InputLimits.maxBootSeconds)
        }
        // A detached TTY has no terminal to ask; clients resize once they attach.
        if request.tty { options.windowSize = WindowSize(rows: 24, columns: 80) }
        return options
    }

    /// The image, or the host directory or tarball `rootfs` names (which must exist: 404).
    static func rootfs(of request: CreateContainerRequest) throws -> RootfsSource {
        guard let path = request.rootfs else { return .image(request.image) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DaemonError.notFound("rootfs \(path): no such file or directory on hulld's host")
        }
        let url = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        guard url.path != "/" else {
            throw DaemonError.conflict("rootfs \(path) is the host's root: hulld does not copy it into a container")
        }
        return isDirectory.boolValue ? .directory(url) : .tarball(url)
    }

    /// The request's resource limits (checked per mode by `ResourceLimits.check`).
    static func limits(of request: CreateContainerRequest) -> ResourceLimits {
        ResourceLimits(memoryMiB: request.memoryMiB, memorySwapMiB: request.memorySwapMiB, cpus: request.cpus,
                       pidsLimit: request.pidsLimit, storageSizeMiB: request.storageSizeMiB)
    }

    /// The request's flags that only some isolation modes honour.
    static func modeSpecificFlags(of request: CreateContainerRequest) -> Set<ModeSpecificFlag> {
        var given: Set<ModeSpecificFlag> = []
        if request.accel != nil { given.insert(.accel) }
        if request.bootTimeout != nil { given.insert(.bootTimeout) }
        if !request.kernelArgs.isEmpty { given.insert(.kernelArg) }
        return given
    }
}
