import Foundation
import HullImages
import Logging

/// `hull pull`: manifest (an index resolved to one platform), config, then the layers —
/// in parallel, each verified by digest as it arrives, blobs the store has skipped — into
/// the store's scratch space; the image enters the store all at once, or not at all.
public struct Puller: Sendable {
    public let store: ImageStore
    public let options: RegistryOptions
    public let progress: TransferProgress
    /// Layers fetched at once (Docker's default is 3).
    public var parallelism = 3

    public init(store: ImageStore, options: RegistryOptions, progress: TransferProgress) {
        self.store = store
        self.options = options
        self.progress = progress
    }

    public struct Result: Sendable {
        public var reference: ImageReference
        /// The manifest digest as stored (Docker manifests are stored converted to OCI).
        public var manifestDigest: Digest
        /// The digest the registry knows the pulled reference by (an index's, for multi-platform images).
        public var registryDigest: Digest
        public var names: [ImageReference]
        public var downloadedBytes: Int64
    }

    public func pull(_ reference: ImageReference, platform: PlatformChoice = .host) async throws -> Result {
        try await RegistryClient.with(registry: reference.domain, options: options) { client in
            let access = RegistryClient.Access.pull(reference.path)
            let label = reference.familiar
            let top = try await client.manifest(access, reference: reference.digest?.string ?? reference.tag ?? ImageReference.defaultTag)
            var document = top
            if MediaType.isIndex(top.mediaType) {
                let index = try OCIIndex.decode(top.data, what: "\(label): index")
                let chosen = try platform.select(from: index, label: label)
                options.logger.info("\(label): \(platform) is manifest \(chosen.digest)")
                document = try await client.manifest(access, reference: chosen.digest.string)
            }
            let manifest = try ImageStore.checkPulledManifest(document.data, mediaType: document.mediaType, label: label)
            let config = try await client.blob(access, manifest.config, what: "config of \(label)")
            try ImageStore.checkPulledConfig(config, manifest: manifest, label: label)

            return try await store.withStaging { staging in
                let (layers, bytes) = try await fetchLayers(manifest.layers, client: client, access: access, label: label, staging: staging)
                let names = reference.tag != nil || reference.digest == nil ? [reference.tagged] : []
                let loaded = try store.store(pulled: PulledImage(
                    names: names, label: label, manifest: document.data, manifestMediaType: document.mediaType,
                    config: config, layers: layers, source: reference.name))
                return Result(reference: reference, manifestDigest: loaded.manifestDigest, registryDigest: top.digest,
                              names: loaded.names, downloadedBytes: bytes)
            }
        }
    }

    /// Downloads the layers the store lacks, `parallelism` at a time.
    private func fetchLayers(_ descriptors: [OCIDescriptor], client: RegistryClient, access: RegistryClient.Access,
                             label: String, staging: URL) async throws -> ([PulledLayer], Int64) {
        var files: [Digest: URL] = [:]
        var pending: [OCIDescriptor] = []
        for layer in descriptors where files[layer.digest] == nil && !pending.contains(where: { $0.digest == layer.digest }) {
            if store.blobs.contains(layer.digest) {
                // The manifest must name a stored layer by its real size, or the image
                // would carry the registry's claim (hull image ls sums these sizes).
                if let stored = store.blobs.size(layer.digest), stored != layer.size {
                    throw ImageError.sizeMismatch("layer \(layer.digest.short)", expected: layer.size, actual: stored)
                }
                progress.set(layer.digest.short, "Already exists")
            } else {
                pending.append(layer)
                progress.set(layer.digest.short, "Waiting", total: layer.size)
            }
        }
        var bytes: Int64 = 0
        try await withThrowingTaskGroup(of: (Digest, URL).self) { group in
            var queue = pending.makeIterator()
            func start(_ layer: OCIDescriptor) {
                let file = staging.appendingPathComponent(layer.digest.hex)
                let index = (descriptors.firstIndex { $0.digest == layer.digest } ?? 0) + 1
                let what = "layer \(index) \(layer.digest.short) of \(label)"
                let progress = self.progress
                group.addTask {
                    let id = layer.digest.short
                    progress.set(id, "Downloading", total: layer.size)
                    try await client.download(access, layer, to: file, what: what) { progress.bytes(id, $0) }
                    progress.set(id, "Download complete")
                    return (layer.digest, file)
                }
            }
            for _ in 0..<max(1, parallelism) {
                guard let layer = queue.next() else { break }
                start(layer)
            }
            while let (digest, file) = try await group.next() {
                files[digest] = file
                if let layer = queue.next() { start(layer) }
            }
        }
        for layer in pending { bytes += layer.size }
        return (descriptors.map { PulledLayer(descriptor: $0, file: files[$0.digest]) }, bytes)
    }
}
