import Foundation

/// Wire types of volumes and mounts (docs/openapi.yaml, "Volumes").

/// One entry of a create request's `mounts`: `-v` / `--mount`, Docker's three kinds.
public struct MountSpec: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A host directory or file (`source`, absolute; it must exist).
        case bind
        /// A named volume (`source` is its name), created on first use.
        case volume
        /// A tmpfs in the container's memory (no `source`).
        case tmpfs
    }

    public var type: Kind
    public var source: String?
    /// Absolute path inside the container.
    public var target: String
    public var readOnly: Bool
    /// tmpfs only: its size in bytes (default: the kernel's, half the memory).
    public var tmpfsSize: Int?

    public init(type: Kind, source: String? = nil, target: String, readOnly: Bool = false, tmpfsSize: Int? = nil) {
        self.type = type
        self.source = source
        self.target = target
        self.readOnly = readOnly
        self.tmpfsSize = tmpfsSize
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(Kind.self, forKey: .type)
        source = try c.decodeIfPresent(String.self, forKey: .source)
        target = try c.decode(String.self, forKey: .target)
        readOnly = try c.decodeIfPresent(Bool.self, forKey: .readOnly) ?? false
        tmpfsSize = try c.decodeIfPresent(Int.self, forKey: .tmpfsSize)
    }
}

/// `GET /v1/volumes/{name}` and each entry of `GET /v1/volumes`.
public struct VolumeInfo: Codable, Sendable, Equatable {
    public var name: String
    public var createdAt: Date
    /// The volume's data on hulld's host.
    public var mountpoint: String
    /// Containers (names) whose mounts use it, running or not.
    public var usedBy: [String]

    public init(name: String, createdAt: Date, mountpoint: String, usedBy: [String]) {
        self.name = name
        self.createdAt = createdAt
        self.mountpoint = mountpoint
        self.usedBy = usedBy
    }
}

/// `POST /v1/volumes`: no name makes one up (64 hex digits, as Docker's anonymous volumes).
public struct CreateVolumeRequest: Codable, Sendable, Equatable {
    public var name: String?
    public init(name: String? = nil) { self.name = name }
}

/// `POST /v1/volumes/prune`: what went, and the bytes it held.
public struct VolumePruneResult: Codable, Sendable, Equatable {
    public var removed: [String]
    public var reclaimedBytes: Int64
    public init(removed: [String], reclaimedBytes: Int64) {
        self.removed = removed
        self.reclaimedBytes = reclaimedBytes
    }
}

/// `--ulimit NAME=SOFT[:HARD]` (Docker's names: nofile, nproc, core, …; -1 is unlimited).
public struct UlimitSpec: Codable, Sendable, Equatable {
    public var name: String
    public var soft: Int64
    public var hard: Int64

    public init(name: String, soft: Int64, hard: Int64) {
        self.name = name
        self.soft = soft
        self.hard = hard
    }

    /// Docker's names, as the kernel's RLIMIT_ resources.
    public static let names = ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice",
                               "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack", "as"]
}
