import Foundation

/// An image index (OCI) or manifest list (Docker): a list of manifests, one per platform;
/// also the shape of an OCI layout's `index.json`.
public struct OCIIndex: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [OCIDescriptor]
    public var annotations: [String: String]?

    public init(manifests: [OCIDescriptor] = [], annotations: [String: String]? = nil) {
        self.schemaVersion = 2
        self.mediaType = MediaType.ociIndex
        self.manifests = manifests
        self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey { case schemaVersion, mediaType, manifests, annotations }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decode(Int.self, forKey: .schemaVersion)
        guard schemaVersion == 2 else {
            throw DecodingError.dataCorruptedError(forKey: .schemaVersion, in: c,
                                                   debugDescription: "schemaVersion \(schemaVersion), expected 2")
        }
        mediaType = try c.decodeIfPresent(String.self, forKey: .mediaType)
        // An empty layout's index.json may say `"manifests": null`.
        manifests = try c.decodeIfPresent([OCIDescriptor].self, forKey: .manifests) ?? []
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
    }

    public static func decode(_ data: Data, what: String) throws -> OCIIndex {
        try JSONCoding.decode(OCIIndex.self, from: data, what: what)
    }
}
