/// A reference to a blob: what it is, its digest and its size (OCI image-spec descriptor).
public struct OCIDescriptor: Codable, Sendable, Equatable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var urls: [String]?
    public var annotations: [String: String]?
    public var platform: OCIPlatform?
    public var artifactType: String?

    public init(mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil,
                platform: OCIPlatform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }

    enum CodingKeys: String, CodingKey {
        case mediaType, digest, size, urls, annotations, platform, artifactType
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // A descriptor without a media type is invalid OCI, but old Docker tools wrote them.
        mediaType = try c.decodeIfPresent(String.self, forKey: .mediaType) ?? ""
        digest = try c.decode(Digest.self, forKey: .digest)
        size = try c.decode(Int64.self, forKey: .size)
        guard size >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .size, in: c, debugDescription: "negative size \(size)")
        }
        urls = try c.decodeIfPresent([String].self, forKey: .urls)
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
        platform = try c.decodeIfPresent(OCIPlatform.self, forKey: .platform)
        artifactType = try c.decodeIfPresent(String.self, forKey: .artifactType)
    }

    /// The tag an OCI layout gives this entry of its index.json.
    public var refName: String? { annotations?[OCIAnnotation.refName] }
}

public struct OCIPlatform: Codable, Sendable, Equatable {
    public var architecture: String
    public var os: String
    public var variant: String?
    public var osVersion: String?
    public var osFeatures: [String]?

    public init(architecture: String, os: String, variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public var imagePlatform: ImagePlatform { ImagePlatform(os: os, architecture: architecture, variant: variant) }
}

public enum OCIAnnotation {
    public static let refName = "org.opencontainers.image.ref.name"
    /// containerd and Docker 25+ put the full image name here in `docker save` output.
    public static let containerdImageName = "io.containerd.image.name"
    /// Set on the built-in image's index entry: the busybox rootfs version it was made from.
    public static let hullBuiltin = "org.hull.builtin"
    /// Set on pulled images' index entries: the `registry/repository` they came from.
    public static let hullSource = "org.hull.source"
}
