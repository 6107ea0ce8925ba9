import Foundation

/// An image fetched from a registry, with its layers in the store's scratch space (or
/// already in the store), ready for `ImageStore.store(pulled:)`.
public struct PulledImage: Sendable {
    /// The tags it gets (the pulled reference; none when pulled by digest alone).
    public var names: [ImageReference]
    /// For messages: `localhost:5000/app:v1`.
    public var label: String
    /// The manifest as the registry sent it, and the media type it declared.
    public var manifest: Data
    public var manifestMediaType: String
    public var config: Data
    public var layers: [PulledLayer]
    /// `registry/repository` it came from: recorded so that a push to the same registry
    /// can mount its blobs instead of uploading them.
    public var source: String

    public init(names: [ImageReference], label: String, manifest: Data, manifestMediaType: String, config: Data,
                layers: [PulledLayer], source: String) {
        self.names = names
        self.label = label
        self.manifest = manifest
        self.manifestMediaType = manifestMediaType
        self.config = config
        self.layers = layers
        self.source = source
    }
}

public struct PulledLayer: Sendable {
    public var descriptor: OCIDescriptor
    /// A file in the staging folder whose content was hashed to `descriptor.digest` while
    /// it was written; nil when the store already had the blob.
    public var file: URL?

    public init(descriptor: OCIDescriptor, file: URL?) {
        self.descriptor = descriptor
        self.file = file
    }
}

extension ImageStore {
    /// A scratch folder on the store's file system for downloads, removed afterwards
    /// whatever happens: a failed pull leaves nothing behind.
    public func withStaging<T>(_ body: (URL) async throws -> T) async throws -> T {
        try PrivateFile.createDirectory(temp.root)
        return try await temp.withDirectory(body)
    }

    /// Parses and checks a pulled manifest the way the store will when it is stored
    /// (schema 1 refused, layer media types known), before any layer is downloaded.
    public static func checkPulledManifest(_ data: Data, mediaType: String, label: String) throws -> OCIManifest {
        let manifest = try StoredManifest.decode(data, declaredType: mediaType, what: "\(label): manifest")
        _ = try StoredManifest.storedForm(manifest, data: data, declaredType: mediaType, label: label)
        return manifest
    }

    /// Checks a pulled config (platform, one diff_id per layer) before layers are fetched.
    public static func checkPulledConfig(_ data: Data, manifest: OCIManifest, label: String) throws {
        try StoredManifest.checkConfig(data, manifest: manifest, label: label)
    }

    /// Stores a pulled image all or nothing, through the same commit as `load`: layers
    /// verified during download are renamed into place, blobs already present are kept,
    /// and the tags move only once every blob is in.
    @discardableResult
    public func store(pulled image: PulledImage) throws -> LoadedImage {
        let manifest = try StoredManifest.decode(image.manifest, declaredType: image.manifestMediaType, what: "\(image.label): manifest")
        try StoredManifest.checkConfig(image.config, manifest: manifest, label: image.label)
        let stored = try StoredManifest.storedForm(manifest, data: image.manifest, declaredType: image.manifestMediaType, label: image.label)
        guard image.layers.map(\.descriptor.digest) == manifest.layers.map(\.digest) else {
            throw ImageError.badDocument("\(image.label): pulled layers", "they do not match the manifest's")
        }
        let layers = image.layers.enumerated().map { i, layer in
            PlannedBlob(source: layer.file ?? blobs.path(layer.descriptor.digest), digest: layer.descriptor.digest,
                        size: layer.descriptor.size, what: "\(image.label): layer \(i + 1) \(layer.descriptor.digest)",
                        verified: layer.file != nil)
        }
        let plan = PlannedImage(names: image.names, origin: image.label, manifest: stored.data,
                                manifestDigest: Digest.sha256(stored.data), config: image.config,
                                configDigest: manifest.config.digest, layers: layers)
        return try withLock(.exclusive) {
            try commit([plan], annotations: [OCIAnnotation.hullSource: image.source])
        }[0]
    }

    /// The `registry/repository` a stored image was pulled from, when known.
    public func source(of image: ResolvedImage) throws -> String? {
        try withLock(.shared) {
            let index = try readIndex()
            let entries = index.manifests.filter { $0.digest == image.manifestDigest }
            let named = entries.first { image.name != nil && Self.entryName($0) == image.name }
            return (named ?? entries.first { $0.annotations?[OCIAnnotation.hullSource] != nil })?
                .annotations?[OCIAnnotation.hullSource]
        }
    }
}
