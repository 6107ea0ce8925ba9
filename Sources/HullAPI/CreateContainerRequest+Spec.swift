import HullModel

/// Hull's flat create body and the engine's ContainerSpec: the one mapping between them,
/// used by hulld's API face and by the CLI (which checks its flags through it).
extension CreateContainerRequest {
    public var spec: ContainerSpec {
        ContainerSpec(
            image: image, rootfs: rootfs, name: name,
            process: ProcessSpec(command: command, entrypoint: entrypoint, env: env, workdir: workdir, user: user,
                                 tty: tty, openStdin: openStdin, noNewPrivileges: noNewPrivileges, ulimits: ulimits),
            hostname: hostname, readOnly: readOnly, tmpfs: tmpfs, mounts: mounts,
            limits: LimitSpec(memoryMiB: memoryMiB, memorySwapMiB: memorySwapMiB, cpus: cpus, pidsLimit: pidsLimit,
                              storageSizeMiB: storageSizeMiB),
            guest: GuestSpec(accel: accel, bootTimeout: bootTimeout, kernelArgs: kernelArgs),
            isolation: isolation, stopTimeout: stopTimeout, autoRemove: autoRemove, foreground: foreground,
            log: logMaxSize == nil && logMaxFiles == nil ? nil : LogSpec(maxFileBytes: logMaxSize, maxFiles: logMaxFiles),
            network: networkSpec)
    }

    /// nil when the body says nothing about networking (the default network).
    var networkSpec: NetworkSpec? {
        guard network != nil || !publish.isEmpty || publishAll || egress != nil || !extraHosts.isEmpty else { return nil }
        return NetworkSpec(network: network, publish: publish, publishAll: publishAll, egress: egress ?? .allow,
                           extraHosts: extraHosts)
    }

    /// The body that asks for `spec` (what `GET /v1/containers/{id}` shows as `request`).
    public init(spec: ContainerSpec) {
        let p = spec.process, l = spec.limits, g = spec.guest
        self.init(image: spec.image, command: p.command, entrypoint: p.entrypoint, env: p.env, workdir: p.workdir,
                  user: p.user, name: spec.name, hostname: spec.hostname, readOnly: spec.readOnly, tmpfs: spec.tmpfs,
                  tty: p.tty, openStdin: p.openStdin, noNewPrivileges: p.noNewPrivileges, memoryMiB: l.memoryMiB,
                  cpus: l.cpus, stopTimeout: spec.stopTimeout, accel: g.accel, bootTimeout: g.bootTimeout,
                  autoRemove: spec.autoRemove, isolation: spec.isolation, rootfs: spec.rootfs, kernelArgs: g.kernelArgs,
                  foreground: spec.foreground, mounts: spec.mounts, ulimits: p.ulimits, memorySwapMiB: l.memorySwapMiB,
                  pidsLimit: l.pidsLimit, storageSizeMiB: l.storageSizeMiB, logMaxSize: spec.log?.maxFileBytes,
                  logMaxFiles: spec.log?.maxFiles, network: spec.network?.network, publish: spec.network?.publish ?? [],
                  publishAll: spec.network?.publishAll ?? false, egress: spec.network?.egress,
                  extraHosts: spec.network?.extraHosts ?? [])
    }
}
