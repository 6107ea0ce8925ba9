import Foundation

/// Wire types of `/v1/images…` (docs/openapi.yaml, "Images"): hulld owns the image store.

/// One row of `GET /v1/images`: one per tag, plus one per untagged image.
public struct ImageInfo: Codable, Sendable, Equatable {
    /// `docker.io/library/busybox:latest`; nil for an untagged image.
    public var reference: String?
    /// Docker's short form of the repository (`busybox`, `localhost:5000/app`).
    public var repository: String?
    public var tag: String?
    /// The manifest digest, the image's id.
    public var digest: String
    /// Manifest, config and layers as stored (layers compressed); nil when unreadable.
    public var size: Int64?
    public var createdAt: Date?
    /// Made by Hull from Debian's busybox-static, not pulled.
    public var builtin: Bool

    public init(reference: String?, repository: String?, tag: String?, digest: String, size: Int64?, createdAt: Date?, builtin: Bool) {
        self.reference = reference
        self.repository = repository
        self.tag = tag
        self.digest = digest
        self.size = size
        self.createdAt = createdAt
        self.builtin = builtin
    }
}

/// Each image `POST /v1/images/load` stored.
public struct LoadedImageInfo: Codable, Sendable, Equatable {
    /// Familiar names (`busybox:latest`); empty when the input named none.
    public var names: [String]
    public var digest: String

    public init(names: [String], digest: String) {
        self.names = names
        self.digest = digest
    }
}

/// `POST /v1/images/remove`: what happened, in Docker's words ("Untagged: …", "Deleted: …").
public struct ImageRemoval: Codable, Sendable, Equatable {
    public var events: [String]

    public init(events: [String]) {
        self.events = events
    }
}

/// `POST /v1/images/prune` (`hull image gc`).
public struct ImagePruneResult: Codable, Sendable, Equatable {
    public var removedBlobs: Int
    public var removedDisks: Int
    public var reclaimedBytes: Int64

    public init(removedBlobs: Int, removedDisks: Int, reclaimedBytes: Int64) {
        self.removedBlobs = removedBlobs
        self.removedDisks = removedDisks
        self.reclaimedBytes = reclaimedBytes
    }
}

/// One line of a pull or push progress stream (`application/x-ndjson`), the fields of
/// Docker's JSON messages: a line without `id` is a message for people; with `id`, a
/// blob's status (and bytes so far); `error` ends a failed transfer; `result` ends a
/// successful one.
public struct ProgressMessage: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var current: Int64?
        public var total: Int64?
        public init(current: Int64? = nil, total: Int64? = nil) {
            self.current = current
            self.total = total
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        /// The reference pulled or pushed, with its tag (`localhost:5000/app:v1`).
        public var reference: String
        /// The digest the registry knows it by.
        public var digest: String
        /// The manifest digest of the image in the store (an index's digest names the
        /// registry's document; this names the platform's image that was stored).
        public var imageDigest: String
        /// Pull: the bytes downloaded (0 when the store had every blob). Push: the manifest's size.
        public var bytes: Int64

        public init(reference: String, digest: String, imageDigest: String, bytes: Int64) {
            self.reference = reference
            self.digest = digest
            self.imageDigest = imageDigest
            self.bytes = bytes
        }
    }

    public var status: String?
    public var id: String?
    public var progressDetail: Detail?
    public var error: String?
    public var result: Result?

    public init(status: String? = nil, id: String? = nil, progressDetail: Detail? = nil, error: String? = nil, result: Result? = nil) {
        self.status = status
        self.id = id
        self.progressDetail = progressDetail
        self.error = error
        self.result = result
    }

    /// Longest line a client reads; longer ones are an error (bounded parsing).
    public static let lineLimit = 64 << 10
}
