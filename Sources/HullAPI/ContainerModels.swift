import Foundation
@_exported import HullModel

/// Wire types of hulld's HTTP+JSON API (docs/api.md, docs/openapi.yaml). Shared by the
/// daemon and its client; they carry no behaviour but the check of their documented
/// limits (InputLimits.swift).

/// `POST /v1/containers`: what `hull create` / `hull run -d` ask for. Mirrors `hull run`'s flags.
public struct CreateContainerRequest: Codable, Sendable, Equatable {
    public var image: String
    /// The command after IMAGE (Docker's Cmd); empty uses the image's.
    public var command: [String]
    /// `--entrypoint`; "" clears the image's.
    public var entrypoint: String?
    public var env: [String]
    public var workdir: String?
    public var user: String?
    public var name: String?
    public var hostname: String?
    public var readOnly: Bool
    public var tmpfs: [String]
    public var tty: Bool
    /// Keep stdin open (`-i`): the main process reads what clients POST to its stdin.
    public var openStdin: Bool
    public var noNewPrivileges: Bool
    /// Memory for the container in MiB (the guest gets this plus its own overhead).
    public var memoryMiB: Int?
    public var cpus: Double?
    /// Seconds `stop` waits after SIGTERM before SIGKILL (default 10).
    public var stopTimeout: Double?
    /// "kvm" or "tcg"; nil decides from the host.
    public var accel: String?
    public var bootTimeout: Double?
    /// `--rm`: hulld removes the container (logs, disks) once it exited.
    public var autoRemove: Bool
    /// "vm", "gvisor" or "process"; nil takes hulld's default (`hulld --default-isolation`).
    public var isolation: String?
    /// `--rootfs`: a directory or tarball on hulld's host, copied as the container's root
    /// instead of an image (`image` then only names it in listings).
    public var rootfs: String?
    /// Extra guest kernel arguments (`--kernel-arg`, a debugging aid; vm only).
    public var kernelArgs: [String]
    /// The container belongs to the clients that follow its output (`GET …/logs?follow=true`):
    /// when the last of them disconnects before it exits, hulld kills it (and, with
    /// autoRemove, removes it). A foreground `hull run` sets it, so a client that dies
    /// leaves no container behind.
    public var foreground: Bool
    /// `-v` / `--mount`: bind mounts, named volumes and tmpfs mounts, in order.
    public var mounts: [MountSpec]
    /// `--ulimit`: resource limits of the container's processes (Docker's defaults otherwise).
    public var ulimits: [UlimitSpec]
    /// `--memory-swap`: memory plus swap in MiB, as Docker counts it (needs `memoryMiB`;
    /// equal to it: no swap; -1: swap unlimited). Absent: Docker's default, swap as
    /// large as the memory limit.
    public var memorySwapMiB: Int?
    /// `--pids-limit`: at most this many processes and threads in the container; 0 or -1
    /// is unlimited (Docker's rule).
    public var pidsLimit: Int?
    /// `--storage-opt size=`: the container's writable layer, in MiB (writes beyond it
    /// fail with ENOSPC inside; the host's disk use stays below it).
    public var storageSizeMiB: Int?
    /// `--log-opt max-size`: bytes per log file (default 10 MiB).
    public var logMaxSize: Int?
    /// `--log-opt max-file`: log files kept (default 3).
    public var logMaxFiles: Int?
    /// "default" (when absent) or "none" (loopback only).
    public var network: String?
    /// Published ports (`-p`); each listens on 127.0.0.1 unless `hostAddress` says otherwise.
    public var publish: [PortSpec]
    /// `-P`: every port the image EXPOSEs, on free ports of 127.0.0.1.
    public var publishAll: Bool
    /// "allow" (when absent) or "deny".
    public var egress: EgressPolicy?
    /// `--add-host`; address `host-gateway` opens the host's loopback at the gateway.
    public var extraHosts: [HostEntry]

    public init(image: String, command: [String] = [], entrypoint: String? = nil, env: [String] = [],
                workdir: String? = nil, user: String? = nil, name: String? = nil, hostname: String? = nil,
                readOnly: Bool = false, tmpfs: [String] = [], tty: Bool = false, openStdin: Bool = false,
                noNewPrivileges: Bool = false, memoryMiB: Int? = nil, cpus: Double? = nil,
                stopTimeout: Double? = nil, accel: String? = nil, bootTimeout: Double? = nil,
                autoRemove: Bool = false, isolation: String? = nil, rootfs: String? = nil,
                kernelArgs: [String] = [], foreground: Bool = false, mounts: [MountSpec] = [],
                ulimits: [UlimitSpec] = [], memorySwapMiB: Int? = nil, pidsLimit: Int? = nil,
                storageSizeMiB: Int? = nil, logMaxSize: Int? = nil, logMaxFiles: Int? = nil,
                network: String? = nil, publish: [PortSpec] = [], publishAll: Bool = false,
                egress: EgressPolicy? = nil, extraHosts: [HostEntry] = []) {
        self.image = image
        self.command = command
        self.entrypoint = entrypoint
        self.env = env
        self.workdir = workdir
        self.user = user
        self.name = name
        self.hostname = hostname
        self.readOnly = readOnly
        self.tmpfs = tmpfs
        self.tty = tty
        self.openStdin = openStdin
        self.noNewPrivileges = noNewPrivileges
        self.memoryMiB = memoryMiB
        self.cpus = cpus
        self.stopTimeout = stopTimeout
        self.accel = accel
        self.bootTimeout = bootTimeout
        self.autoRemove = autoRemove
        self.isolation = isolation
        self.rootfs = rootfs
        self.kernelArgs = kernelArgs
        self.foreground = foreground
        self.mounts = mounts
        self.ulimits = ulimits
        self.memorySwapMiB = memorySwapMiB
        self.pidsLimit = pidsLimit
        self.storageSizeMiB = storageSizeMiB
        self.logMaxSize = logMaxSize
        self.logMaxFiles = logMaxFiles
        self.network = network
        self.publish = publish
        self.publishAll = publishAll
        self.egress = egress
        self.extraHosts = extraHosts
    }

    // Absent keys take their defaults, so a minimal body is `{"image": "busybox"}`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        image = try c.decode(String.self, forKey: .image)
        command = try c.decodeIfPresent([String].self, forKey: .command) ?? []
        entrypoint = try c.decodeIfPresent(String.self, forKey: .entrypoint)
        env = try c.decodeIfPresent([String].self, forKey: .env) ?? []
        workdir = try c.decodeIfPresent(String.self, forKey: .workdir)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        hostname = try c.decodeIfPresent(String.self, forKey: .hostname)
        readOnly = try c.decodeIfPresent(Bool.self, forKey: .readOnly) ?? false
        tmpfs = try c.decodeIfPresent([String].self, forKey: .tmpfs) ?? []
        tty = try c.decodeIfPresent(Bool.self, forKey: .tty) ?? false
        openStdin = try c.decodeIfPresent(Bool.self, forKey: .openStdin) ?? false
        noNewPrivileges = try c.decodeIfPresent(Bool.self, forKey: .noNewPrivileges) ?? false
        memoryMiB = try c.decodeIfPresent(Int.self, forKey: .memoryMiB)
        cpus = try c.decodeIfPresent(Double.self, forKey: .cpus)
        stopTimeout = try c.decodeIfPresent(Double.self, forKey: .stopTimeout)
        accel = try c.decodeIfPresent(String.self, forKey: .accel)
        bootTimeout = try c.decodeIfPresent(Double.self, forKey: .bootTimeout)
        autoRemove = try c.decodeIfPresent(Bool.self, forKey: .autoRemove) ?? false
        isolation = try c.decodeIfPresent(String.self, forKey: .isolation)
        rootfs = try c.decodeIfPresent(String.self, forKey: .rootfs)
        kernelArgs = try c.decodeIfPresent([String].self, forKey: .kernelArgs) ?? []
        foreground = try c.decodeIfPresent(Bool.self, forKey: .foreground) ?? false
        mounts = try c.decodeIfPresent([MountSpec].self, forKey: .mounts) ?? []
        ulimits = try c.decodeIfPresent([UlimitSpec].self, forKey: .ulimits) ?? []
        memorySwapMiB = try c.decodeIfPresent(Int.self, forKey: .memorySwapMiB)
        pidsLimit = try c.decodeIfPresent(Int.self, forKey: .pidsLimit)
        storageSizeMiB = try c.decodeIfPresent(Int.self, forKey: .storageSizeMiB)
        logMaxSize = try c.decodeIfPresent(Int.self, forKey: .logMaxSize)
        logMaxFiles = try c.decodeIfPresent(Int.self, forKey: .logMaxFiles)
        network = try c.decodeIfPresent(String.self, forKey: .network)
        publish = try c.decodeIfPresent([PortSpec].self, forKey: .publish) ?? []
        publishAll = try c.decodeIfPresent(Bool.self, forKey: .publishAll) ?? false
        egress = try c.decodeIfPresent(EgressPolicy.self, forKey: .egress)
        extraHosts = try c.decodeIfPresent([HostEntry].self, forKey: .extraHosts) ?? []
    }
}

public struct CreatedContainer: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// One row of `GET /v1/containers` and the body of `GET /v1/containers/{id}`.
public struct ContainerInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var image: String
    public var command: [String]
    public var state: ContainerState
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var exitCode: Int32?
    /// Why the container exited when it was not its own doing: "killed by hull stop",
    /// "guest destroyed outside hull", "hulld found the guest gone after a restart", …
    public var exitReason: String?
    /// The container's last run ended with the kernel's OOM killer killing a process in
    /// it (its memory limit, `--memory`, was reached), as Docker's `State.OOMKilled`.
    public var oomKilled: Bool
    /// The libvirt domain holding the guest.
    public var domain: String
    public var isolation: String
    public var tty: Bool
    public var openStdin: Bool
    public var request: CreateContainerRequest
    /// Its network, address, published ports (as bound while it runs) and egress policy.
    public var network: NetworkState?

    public init(id: String, name: String, image: String, command: [String], state: ContainerState,
                createdAt: Date, startedAt: Date?, finishedAt: Date?, exitCode: Int32?, exitReason: String?,
                oomKilled: Bool = false, domain: String, isolation: String, tty: Bool, openStdin: Bool,
                request: CreateContainerRequest, network: NetworkState? = nil) {
        self.network = network
        self.id = id
        self.name = name
        self.image = image
        self.command = command
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.exitCode = exitCode
        self.exitReason = exitReason
        self.oomKilled = oomKilled
        self.domain = domain
        self.isolation = isolation
        self.tty = tty
        self.openStdin = openStdin
        self.request = request
    }
}

public struct ExecCreated: Codable, Sendable, Equatable {
    public var execID: String
    public init(execID: String) { self.execID = execID }
}

public struct ResizeBody: Codable, Sendable, Equatable {
    public var rows: UInt16
    public var columns: UInt16
    public init(rows: UInt16, columns: UInt16) {
        self.rows = rows
        self.columns = columns
    }
}

/// Every 4xx/5xx answer: `{"message": "..."}`.
public struct APIErrorBody: Codable, Sendable, Equatable {
    public var message: String
    public init(message: String) { self.message = message }
}

public struct VersionInfo: Codable, Sendable, Equatable {
    public var version: String
    public var apiVersion: String
    public init(version: String, apiVersion: String) {
        self.version = version
        self.apiVersion = apiVersion
    }
}

public enum HullAPIVersion {
    public static let daemon = "0.2.0"
    public static let api = "v1"
}
