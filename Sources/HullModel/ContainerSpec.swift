import Foundation

/// A container as the engine takes it, from any API face: Hull's own (`POST /v1/containers`,
/// CreateContainerRequest), and the Docker and sandbox faces that map their clients'
/// shapes onto it. hulld's state store keeps it (the record's `spec`), so a container
/// starts again exactly as it was created. `validate()` holds every bound on it.
public struct ContainerSpec: Codable, Sendable, Equatable {
    /// The image reference; with `rootfs`, only a label shown for the container.
    public var image: String
    /// A host directory or tarball used as the root file system instead of an image.
    public var rootfs: String?
    /// nil: the engine names it after its id.
    public var name: String?
    public var process: ProcessSpec
    public var hostname: String?
    public var readOnly: Bool
    /// `--tmpfs PATH[:OPTIONS]` entries.
    public var tmpfs: [String]
    public var mounts: [MountSpec]
    public var limits: LimitSpec
    public var guest: GuestSpec
    /// vm, gvisor or process; nil takes hulld's default.
    public var isolation: String?
    /// Seconds between SIGTERM and SIGKILL on stop (default 10).
    public var stopTimeout: Double?
    /// Removed once it exited (`--rm`).
    public var autoRemove: Bool
    /// Lives only as long as a client follows its output (`hull run` without -d).
    public var foreground: Bool
    /// How much of its output is kept (`--log-opt`); nil: LogSpec's defaults.
    public var log: LogSpec?
    /// Network, published ports, egress policy (nil: the default network, nothing
    /// published, egress allowed).
    public var network: NetworkSpec?

    public init(image: String, rootfs: String? = nil, name: String? = nil, process: ProcessSpec = ProcessSpec(),
                hostname: String? = nil, readOnly: Bool = false, tmpfs: [String] = [], mounts: [MountSpec] = [],
                limits: LimitSpec = LimitSpec(), guest: GuestSpec = GuestSpec(), isolation: String? = nil,
                stopTimeout: Double? = nil, autoRemove: Bool = false, foreground: Bool = false, log: LogSpec? = nil,
                network: NetworkSpec? = nil) {
        self.image = image
        self.rootfs = rootfs
        self.name = name
        self.process = process
        self.hostname = hostname
        self.readOnly = readOnly
        self.tmpfs = tmpfs
        self.mounts = mounts
        self.limits = limits
        self.guest = guest
        self.isolation = isolation
        self.stopTimeout = stopTimeout
        self.autoRemove = autoRemove
        self.foreground = foreground
        self.log = log
        self.network = network
    }

    /// What the container's networking is (the default when none was asked for).
    public var effectiveNetwork: NetworkSpec { network ?? NetworkSpec() }
}

/// The output kept on the host per process (Docker's json-file `max-size`/`max-file`):
/// files of at most `maxFileBytes`, the newest `maxFiles` of them; older output goes. A
/// container writing forever fills at most maxFileBytes × maxFiles of `$HULL_HOME`.
public struct LogSpec: Codable, Sendable, Equatable {
    public static let defaultMaxFileBytes = 10 << 20
    public static let defaultMaxFiles = 3

    public var maxFileBytes: Int?
    public var maxFiles: Int?

    public init(maxFileBytes: Int? = nil, maxFiles: Int? = nil) {
        self.maxFileBytes = maxFileBytes
        self.maxFiles = maxFiles
    }

    public var effectiveMaxFileBytes: Int { maxFileBytes ?? Self.defaultMaxFileBytes }
    public var effectiveMaxFiles: Int { maxFiles ?? Self.defaultMaxFiles }
}

/// The container's main process.
public struct ProcessSpec: Codable, Sendable, Equatable {
    /// Replaces the image's command (Cmd); empty keeps it.
    public var command: [String]
    /// Replaces the image's entrypoint; "" clears it.
    public var entrypoint: String?
    /// NAME=VALUE, over the image's environment.
    public var env: [String]
    public var workdir: String?
    public var user: String?
    public var tty: Bool
    /// Keeps stdin open for a client to write to.
    public var openStdin: Bool
    public var noNewPrivileges: Bool
    public var ulimits: [UlimitSpec]

    public init(command: [String] = [], entrypoint: String? = nil, env: [String] = [], workdir: String? = nil,
                user: String? = nil, tty: Bool = false, openStdin: Bool = false, noNewPrivileges: Bool = false,
                ulimits: [UlimitSpec] = []) {
        self.command = command
        self.entrypoint = entrypoint
        self.env = env
        self.workdir = workdir
        self.user = user
        self.tty = tty
        self.openStdin = openStdin
        self.noNewPrivileges = noNewPrivileges
        self.ulimits = ulimits
    }
}

/// Resource limits, each enforced in every mode that accepts it (docs/limits.md).
public struct LimitSpec: Codable, Sendable, Equatable {
    public var memoryMiB: Int?
    /// Memory plus swap (Docker's --memory-swap); -1 is unlimited swap.
    public var memorySwapMiB: Int?
    public var cpus: Double?
    public var pidsLimit: Int?
    /// The writable root disk's size.
    public var storageSizeMiB: Int?

    public init(memoryMiB: Int? = nil, memorySwapMiB: Int? = nil, cpus: Double? = nil, pidsLimit: Int? = nil,
                storageSizeMiB: Int? = nil) {
        self.memoryMiB = memoryMiB
        self.memorySwapMiB = memorySwapMiB
        self.cpus = cpus
        self.pidsLimit = pidsLimit
        self.storageSizeMiB = storageSizeMiB
    }
}

/// What only a guest (isolation vm) takes.
public struct GuestSpec: Codable, Sendable, Equatable {
    /// kvm or tcg; nil lets Hull choose.
    public var accel: String?
    /// Seconds to wait for the guest's agent.
    public var bootTimeout: Double?
    public var kernelArgs: [String]

    public init(accel: String? = nil, bootTimeout: Double? = nil, kernelArgs: [String] = []) {
        self.accel = accel
        self.bootTimeout = bootTimeout
        self.kernelArgs = kernelArgs
    }
}

extension ContainerSpec {
    /// Every bound on a spec, for every face and the CLI (which checks its flags with it
    /// before it sends them). Field names are those of Hull's API (docs/openapi.yaml).
    /// Mode-specific refusals (accel under gvisor, …) come once the mode is known.
    public func validate() throws(InputError) {
        try InputCheck.nonEmpty(image, field: "image")
        if let name { try InputCheck.containerName(name) }
        if let accel = guest.accel { try InputCheck.oneOf(accel, ["kvm", "tcg"], field: "accel") }
        if let isolation { try InputCheck.oneOf(isolation, ["vm", "gvisor", "process"], field: "isolation") }
        if let cpus = limits.cpus { try InputCheck.cpus(cpus) }
        if let memoryMiB = limits.memoryMiB { try InputCheck.memoryMiB(memoryMiB) }
        if let memorySwapMiB = limits.memorySwapMiB { try InputCheck.memorySwapMiB(memorySwapMiB) }
        if let pidsLimit = limits.pidsLimit { try InputCheck.pidsLimit(pidsLimit) }
        if let storageSizeMiB = limits.storageSizeMiB { try InputCheck.storageSizeMiB(storageSizeMiB) }
        if let stopTimeout { try InputCheck.seconds(stopTimeout, field: "stopTimeout", limit: InputLimits.maxStopSeconds) }
        if let bootTimeout = guest.bootTimeout {
            try InputCheck.seconds(bootTimeout, field: "bootTimeout", limit: InputLimits.maxBootSeconds, positive: true)
        }
        if let rootfs { try InputCheck.hostPath(rootfs, field: "rootfs") }
        try InputCheck.kernelArgs(guest.kernelArgs)
        try InputCheck.mounts(mounts)
        try InputCheck.ulimits(process.ulimits)
        if let bytes = log?.maxFileBytes { try InputCheck.logMaxSize(bytes) }
        if let files = log?.maxFiles { try InputCheck.logMaxFiles(files) }
        if let network { try network.validate() }
    }

    /// Rules between values (colliding mount targets, soft above hard, swap below
    /// memory): a conflict the schema cannot state (hulld answers 409, not 400).
    public func checkConsistency() throws(InputError) {
        try InputCheck.distinctTargets(mounts, tmpfs: tmpfs)
        try InputCheck.consistentUlimits(process.ulimits)
        try InputCheck.consistentMemory(memoryMiB: limits.memoryMiB, memorySwapMiB: limits.memorySwapMiB)
        try network?.checkConsistency()
    }
}
