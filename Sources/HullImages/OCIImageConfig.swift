import Foundation

/// The image configuration (OCI image-spec `config.json`, the same shape as Docker's
/// image JSON): platform, the container defaults and the layers' uncompressed digests.
/// Fields Hull does not use are not decoded; `hull image inspect` prints the stored
/// blob itself, so nothing is lost.
public struct OCIImageConfig: Codable, Sendable, Equatable {
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var variant: String?
    public var config: ContainerDefaults?
    public var rootfs: RootFS
    public var history: [History]?

    public init(architecture: String = "amd64", os: String = "linux", config: ContainerDefaults? = nil,
                rootfs: RootFS, history: [History]? = nil, created: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.config = config
        self.rootfs = rootfs
        self.history = history
        self.created = created
    }

    public struct ContainerDefaults: Codable, Sendable, Equatable {
        public var user: String?
        public var env: [String]?
        public var entrypoint: [String]?
        public var cmd: [String]?
        public var workingDir: String?
        public var labels: [String: String]?
        public var stopSignal: String?
        public var exposedPorts: [String: EmptyObject]?
        public var volumes: [String: EmptyObject]?

        public init(user: String? = nil, env: [String]? = nil, entrypoint: [String]? = nil, cmd: [String]? = nil,
                    workingDir: String? = nil, labels: [String: String]? = nil) {
            self.user = user
            self.env = env
            self.entrypoint = entrypoint
            self.cmd = cmd
            self.workingDir = workingDir
            self.labels = labels
        }

        enum CodingKeys: String, CodingKey {
            case user = "User", env = "Env", entrypoint = "Entrypoint", cmd = "Cmd", workingDir = "WorkingDir"
            case labels = "Labels", stopSignal = "StopSignal", exposedPorts = "ExposedPorts", volumes = "Volumes"
        }
    }

    public struct RootFS: Codable, Sendable, Equatable {
        public var type: String
        public var diffIDs: [Digest]

        public init(diffIDs: [Digest]) {
            self.type = "layers"
            self.diffIDs = diffIDs
        }

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = try c.decode(String.self, forKey: .type)
            diffIDs = try c.decodeIfPresent([Digest].self, forKey: .diffIDs) ?? []
        }
    }

    public struct History: Codable, Sendable, Equatable {
        public var created: String?
        public var createdBy: String?
        public var author: String?
        public var comment: String?
        public var emptyLayer: Bool?

        public init(createdBy: String? = nil, comment: String? = nil, created: String? = nil) {
            self.createdBy = createdBy
            self.comment = comment
            self.created = created
        }

        enum CodingKeys: String, CodingKey {
            case created, author, comment
            case createdBy = "created_by"
            case emptyLayer = "empty_layer"
        }
    }

    /// `{}`: the value type of Docker's ExposedPorts and Volumes maps.
    public struct EmptyObject: Codable, Sendable, Equatable {
        public init() {}
    }

    public static func decode(_ data: Data, what: String) throws -> OCIImageConfig {
        try JSONCoding.decode(OCIImageConfig.self, from: data, what: what)
    }

    public var platform: ImagePlatform { ImagePlatform(os: os, architecture: architecture, variant: variant) }

    /// `created` as a date; nil when absent or unreadable. Go writes RFC 3339 with up to
    /// nine fractional digits, which ISO8601DateFormatter does not take, so they are cut.
    public var createdDate: Date? {
        guard var text = created, !text.isEmpty else { return nil }
        if let dot = text.firstIndex(of: ".") {
            let rest = text[text.index(after: dot)...]
            let zone = rest.firstIndex { !$0.isNumber } ?? rest.endIndex
            text.removeSubrange(dot..<zone)
        }
        let date = ISO8601DateFormatter().date(from: text)
        // Go's zero time, which some tools write for "unknown".
        if let date, date.timeIntervalSince1970 < -62_000_000_000 { return nil }
        return date
    }
}
