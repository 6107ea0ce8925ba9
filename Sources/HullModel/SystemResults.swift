/// `GET /v1/system/df` and `POST /v1/system/prune` (`hull system df|prune`).

/// One kind of thing hulld keeps on disk: how many, how many in use, their bytes, and
/// the bytes a prune (or `hull image gc`) would free.
public struct UsageRow: Codable, Sendable, Equatable {
    public var count: Int
    public var active: Int
    public var bytes: Int64
    public var reclaimableBytes: Int64
    public init(count: Int, active: Int, bytes: Int64, reclaimableBytes: Int64) {
        self.count = count
        self.active = active
        self.bytes = bytes
        self.reclaimableBytes = reclaimableBytes
    }
}

public struct SystemDiskUsage: Codable, Sendable, Equatable {
    /// Images in the store (their blobs; reclaimable: blobs no image leads to).
    public var images: UsageRow
    /// Containers (run folders and logs; active: running; reclaimable: the others').
    public var containers: UsageRow
    /// Named volumes (active: used by a container; reclaimable: the unused ones').
    public var volumes: UsageRow
    /// Cached ext4 disks and unpacked trees of images (reclaimable: of images that are gone).
    public var disks: UsageRow
    public init(images: UsageRow, containers: UsageRow, volumes: UsageRow, disks: UsageRow) {
        self.images = images
        self.containers = containers
        self.volumes = volumes
        self.disks = disks
    }
}

public struct SystemPruneResult: Codable, Sendable, Equatable {
    /// Names of the containers removed (every one not running).
    public var containers: [String]
    /// Volumes removed (only with `volumes=true`).
    public var volumes: [String]
    public var imageBlobs: Int
    public var disks: Int
    public var reclaimedBytes: Int64
    public init(containers: [String], volumes: [String], imageBlobs: Int, disks: Int, reclaimedBytes: Int64) {
        self.containers = containers
        self.volumes = volumes
        self.imageBlobs = imageBlobs
        self.disks = disks
        self.reclaimedBytes = reclaimedBytes
    }
}
