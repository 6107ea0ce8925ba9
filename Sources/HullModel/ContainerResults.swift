import Foundation

/// What the engine answers about containers and their processes: shared by every API
/// face (Hull's own encodes them as they are; others map them to their clients' shapes).

/// Lifecycle states; every transition is stored before it is acted on.
public enum ContainerState: String, Codable, Sendable, CaseIterable {
    case created, starting, running, stopping, exited, removing
}

public struct WaitResult: Codable, Sendable, Equatable {
    public var exitCode: Int32
    public var exitReason: String?
    public init(exitCode: Int32, exitReason: String?) {
        self.exitCode = exitCode
        self.exitReason = exitReason
    }
}

/// `POST /v1/containers/{id}/exec`.
public struct ExecSpec: Codable, Sendable, Equatable {
    public var command: [String]
    public var env: [String]
    public var workdir: String?
    public var tty: Bool
    public var openStdin: Bool
    public var rows: UInt16?
    public var columns: UInt16?

    public init(command: [String], env: [String] = [], workdir: String? = nil, tty: Bool = false,
                openStdin: Bool = false, rows: UInt16? = nil, columns: UInt16? = nil) {
        self.command = command
        self.env = env
        self.workdir = workdir
        self.tty = tty
        self.openStdin = openStdin
        self.rows = rows
        self.columns = columns
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        command = try c.decode([String].self, forKey: .command)
        env = try c.decodeIfPresent([String].self, forKey: .env) ?? []
        workdir = try c.decodeIfPresent(String.self, forKey: .workdir)
        tty = try c.decodeIfPresent(Bool.self, forKey: .tty) ?? false
        openStdin = try c.decodeIfPresent(Bool.self, forKey: .openStdin) ?? false
        rows = try c.decodeIfPresent(UInt16.self, forKey: .rows)
        columns = try c.decodeIfPresent(UInt16.self, forKey: .columns)
    }
}

public struct ExecInfo: Codable, Sendable, Equatable {
    public var execID: String
    public var containerID: String
    public var command: [String]
    public var running: Bool
    public var exitCode: Int32?
    public init(execID: String, containerID: String, command: [String], running: Bool, exitCode: Int32?) {
        self.execID = execID
        self.containerID = containerID
        self.command = command
        self.running = running
        self.exitCode = exitCode
    }
}

/// `GET /v1/containers/{id}/top`: the guest's processes, as its `ps` shows them.
public struct TopResult: Codable, Sendable, Equatable {
    public var titles: [String]
    public var processes: [[String]]
    public init(titles: [String], processes: [[String]]) {
        self.titles = titles
        self.processes = processes
    }
}

/// `GET /v1/containers/{id}/stats`: one sample of what the container's guest costs.
public struct StatsResult: Codable, Sendable, Equatable {
    /// Host CPU the container's host processes (QEMU; runsc's sandbox and gofer; runc's
    /// container processes) used over the sampling interval, 100 = one host CPU busy.
    public var cpuPercent: Double
    /// The container's CPUs: --cpus rounded up (a guest's vCPUs), else 1 in a guest and
    /// the host's count under runsc (its Sentry gets every CPU) and runc.
    public var vcpus: Int
    /// Resident memory of those host processes.
    public var hostMemoryBytes: UInt64
    /// Memory as the container's own kernel counts it (MemTotal, MemTotal - MemAvailable);
    /// nil under --isolation process, which shares the host's kernel.
    public var guestMemoryTotalBytes: UInt64?
    public var guestMemoryUsedBytes: UInt64?
    /// The container's own cgroup, where its limits apply (docs/limits.md, "Usage"): the
    /// memory it uses and its limit (nil: none), its tasks and their limit. Inside a guest
    /// the container's cgroup there; under runc its host cgroup; under runsc the whole
    /// sandbox's host cgroup (gVisor's own processes included). Absent when the runtime
    /// gave no reading (a guest whose agent predates it).
    public var memoryUsageBytes: UInt64?
    public var memoryLimitBytes: UInt64?
    public var pids: UInt64?
    public var pidsLimit: UInt64?
    /// Bytes the container received and sent on its network since it started (its link
    /// into the hub, counted outside it); absent for `--network none`.
    public var networkReceivedBytes: UInt64?
    public var networkSentBytes: UInt64?

    public init(cpuPercent: Double, vcpus: Int, hostMemoryBytes: UInt64, guestMemoryTotalBytes: UInt64?,
                guestMemoryUsedBytes: UInt64?, memoryUsageBytes: UInt64? = nil, memoryLimitBytes: UInt64? = nil,
                pids: UInt64? = nil, pidsLimit: UInt64? = nil, networkReceivedBytes: UInt64? = nil,
                networkSentBytes: UInt64? = nil) {
        self.networkReceivedBytes = networkReceivedBytes
        self.networkSentBytes = networkSentBytes
        self.cpuPercent = cpuPercent
        self.vcpus = vcpus
        self.hostMemoryBytes = hostMemoryBytes
        self.guestMemoryTotalBytes = guestMemoryTotalBytes
        self.guestMemoryUsedBytes = guestMemoryUsedBytes
        self.memoryUsageBytes = memoryUsageBytes
        self.memoryLimitBytes = memoryLimitBytes
        self.pids = pids
        self.pidsLimit = pidsLimit
    }
}
