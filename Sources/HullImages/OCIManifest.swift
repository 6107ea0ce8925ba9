import Foundation

/// An image manifest (OCI, or Docker v2 schema 2): one config and the layers in order.
public struct OCIManifest: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var config: OCIDescriptor
    public var layers: [OCIDescriptor]
    public var annotations: [String: String]?
    public var subject: OCIDescriptor?
    public var artifactType: String?

    public init(config: OCIDescriptor, layers: [OCIDescriptor], annotations: [String: String]? = nil) {
        self.schemaVersion = 2
        self.mediaType = MediaType.ociManifest
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey { case schemaVersion, mediaType, config, layers, annotations, subject, artifactType }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decode(Int.self, forKey: .schemaVersion)
        guard schemaVersion == 2 else {
            throw DecodingError.dataCorruptedError(
                forKey: .schemaVersion, in: c,
                debugDescription: "schemaVersion \(schemaVersion): Docker schema 1 images are not supported (convert with skopeo copy)")
        }
        mediaType = try c.decodeIfPresent(String.self, forKey: .mediaType)
        config = try c.decode(OCIDescriptor.self, forKey: .config)
        layers = try c.decodeIfPresent([OCIDescriptor].self, forKey: .layers) ?? []
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
        subject = try c.decodeIfPresent(OCIDescriptor.self, forKey: .subject)
        artifactType = try c.decodeIfPresent(String.self, forKey: .artifactType)
    }

    public static func decode(_ data: Data, what: String) throws -> OCIManifest {
        try JSONCoding.decode(OCIManifest.self, from: data, what: what)
    }

    /// Every blob the manifest needs, config first.
    public var blobs: [OCIDescriptor] { [config] + layers }

    /// Content size: the manifest's blobs as stored (compressed layers count compressed).
    /// Saturates instead of trapping: the sizes come from registries and archives.
    public var contentSize: Int64 {
        blobs.reduce(0) { sum, blob in
            let (total, overflow) = sum.addingReportingOverflow(blob.size)
            return overflow ? .max : total
        }
    }
}
