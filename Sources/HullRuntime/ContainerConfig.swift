import HullProtocol

/// What a container is asked to be, before it becomes an OCI runtime spec: the image's
/// defaults and the user's flags, kept apart so the merge follows Docker's rules.
public struct ImageDefaults: Sendable, Equatable {
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var env: [String]
    public var workingDir: String?
    public var user: String?

    public init(entrypoint: [String]? = nil, cmd: [String]? = nil, env: [String] = [],
                workingDir: String? = nil, user: String? = nil) {
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.env = env
        self.workingDir = workingDir
        self.user = user
    }

    /// A bare root filesystem (`--rootfs`) has no config: Docker's defaults apply.
    public static let none = ImageDefaults(env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
}

/// The flags of `hull run` that shape the container (not the guest VM).
public struct ContainerFlags: Sendable, Equatable {
    /// Arguments after the image; empty means "the image's Cmd".
    public var command: [String] = []
    /// `--entrypoint`: nil keeps the image's; "" clears it.
    public var entrypoint: String?
    /// `-e` and `--env-file` entries, in order, already as KEY=VALUE.
    public var env: [String] = []
    public var workdir: String?
    public var user: String?
    public var hostname: String?
    public var readOnly = false
    /// `--tmpfs PATH[:OPTIONS]`
    public var tmpfs: [String] = []
    public var tty = false
    public var noNewPrivileges = false
    /// `-m`: the container's memory limit (cgroup under runc/runsc; the guest's size under vm).
    public var memoryMiB: Int?
    /// `--cpus`: CPU time limit (cgroup quota under runc/runsc; vCPUs under vm).
    public var cpus: Double?
    /// `--memory-swap`: memory plus swap in MiB, -1 unlimited; nil is Docker's default
    /// (as much swap as memory).
    public var memorySwapMiB: Int?
    /// `--pids-limit`: tasks at most; nil, 0 or -1 is unlimited.
    public var pidsLimit: Int?
    /// Read-only bind mounts of host directories (Hull's own helpers such as the probe),
    /// as the isolation driver names their source.
    public var helperMounts: [HelperMount] = []
    /// Host directories (bind mounts and named volumes' data) mounted into the container,
    /// in order; the isolation driver names their source (`IsolationDriver.volumeSource`).
    public var volumes: [VolumeMount] = []
    /// `--ulimit`: replace Docker's default of the same resource (RLIMIT_NOFILE 1048576).
    public var rlimits: [RuntimeSpec.Rlimit] = []
    /// Generated /etc files (hosts, resolv.conf) bound over the image's, as the driver
    /// names their source (OCIBundle.make).
    public var etcMounts: [EtcMount] = []

    public init() {}
}

/// One generated file bound over the image's (`/etc/hosts`, `/etc/resolv.conf`).
public struct EtcMount: Sendable, Equatable {
    public var source: String
    public var destination: String

    public init(source: String, destination: String) {
        self.source = source
        self.destination = destination
    }
}

/// A host directory or file seen inside the container at `destination`: `-v`/`--mount`
/// of type bind, or a named volume's data directory.
public struct VolumeMount: Sendable, Equatable, Codable {
    public var hostPath: String
    public var destination: String
    public var readOnly: Bool

    public init(hostPath: String, destination: String, readOnly: Bool) {
        self.hostPath = hostPath
        self.destination = destination
        self.readOnly = readOnly
    }
}

/// A directory of Hull's own files made visible read-only inside a container, e.g. the
/// probe at `/.hull`. The source is named by the isolation driver: a host path for
/// runc/runsc, a path in the guest's initramfs for a VM.
public struct HelperMount: Sendable, Equatable {
    public var source: String
    public var destination: String

    public init(source: String, destination: String) {
        self.source = source
        self.destination = destination
    }
}
