import Foundation
import Logging

/// An OCI image layout on disk (`oci-layout`, `index.json`, `blobs/`), as written by
/// `skopeo copy … oci:DIR`, umoci, buildah or `docker save` since Docker 25. For each
/// image the index names, the linux/amd64 manifest is chosen, checked and planned.
struct OCILayoutSource {
    let root: URL
    /// What the user gave, for messages.
    let display: String
    /// Set for extracted archives: blob paths must not lead out of `root` via symlinks.
    let confined: Bool
    let logger: Logger

    static func looksLike(_ dir: URL) -> Bool {
        FileManager.default.fileExists(atPath: dir.appendingPathComponent("oci-layout").path)
            && FileManager.default.fileExists(atPath: dir.appendingPathComponent("index.json").path)
    }

    func plan(naming: LoadNaming) throws -> [PlannedImage] {
        let indexData = try readFile(root.appendingPathComponent("index.json"), what: "\(display): index.json")
        let index = try OCIIndex.decode(indexData, what: "\(display): index.json")

        // One plan per distinct top-level entry; several tags of one entry share it.
        var order: [Digest] = []
        var grouped: [Digest: (desc: OCIDescriptor, declared: [ImageReference], tagOnly: [String])] = [:]
        for entry in index.manifests {
            let type = entry.mediaType
            guard type.isEmpty || MediaType.isManifest(type) || MediaType.isIndex(type) else {
                logger.info("skipping index.json entry \(entry.digest) of type \(type): not an image")
                continue
            }
            var declared: [ImageReference] = []
            var tagOnly: [String] = []
            if let full = entry.annotations?[OCIAnnotation.containerdImageName], let ref = try? ImageReference(parsing: full) {
                declared.append(ref)
            } else if let refName = entry.refName {
                if refName.contains(":") || refName.contains("/") || refName.contains("@") {
                    if let ref = try? ImageReference(parsing: refName) { declared.append(ref) }
                    else { logger.warning("\(display): ignoring ref.name \"\(refName)\": not an image name") }
                } else if ImageReference.isValidTag(refName) {
                    tagOnly.append(refName)
                }
            }
            if grouped[entry.digest] == nil {
                order.append(entry.digest)
                grouped[entry.digest] = (entry, declared, tagOnly)
            } else {
                grouped[entry.digest]!.declared += declared
                grouped[entry.digest]!.tagOnly += tagOnly
            }
        }
        guard !order.isEmpty else { throw ImageError.nothingToLoad(display) }
        try naming.check(imageCount: order.count)

        return try order.map { digest in
            let (desc, declared, tagOnly) = grouped[digest]!
            let label = declared.first?.familiar ?? tagOnly.first.map { "\(display):\($0)" } ?? "\(display)@\(digest.short)"
            var image = try planImage(desc, label: label)
            image.names = Self.unique(naming.names(declared: declared, tagOnly: tagOnly))
            if naming.override == nil && declared.isEmpty && !tagOnly.isEmpty {
                logger.notice("\(label): the layout names it by tag only; load with --name REPO to name it")
            }
            return image
        }
    }

    private func planImage(_ top: OCIDescriptor, label: String) throws -> PlannedImage {
        var desc = top
        var data = try readBlob(desc, what: "\(label): \(desc.mediaType.isEmpty ? "manifest" : "document") \(desc.digest)")
        let probe = try JSONCoding.decode(DocumentProbe.self, from: data, what: "\(label): \(desc.digest)")
        if MediaType.isIndex(desc.mediaType) || (desc.mediaType.isEmpty && probe.manifests != nil) {
            let index = try OCIIndex.decode(data, what: "\(label): image index \(desc.digest)")
            desc = try Self.selectPlatform(index, label: label)
            data = try readBlob(desc, what: "\(label): manifest \(desc.digest)")
        }
        let manifest = try StoredManifest.decode(data, declaredType: desc.mediaType, what: "\(label): manifest \(desc.digest)")
        if let platform = desc.platform?.imagePlatform, !platform.runsOnHost() {
            throw ImageError.wrongPlatform(label, found: platform.description)
        }

        let configData = try readBlob(manifest.config, what: "\(label): config \(manifest.config.digest)")
        try StoredManifest.checkConfig(configData, manifest: manifest, label: label)
        let stored = try StoredManifest.storedForm(manifest, data: data, declaredType: desc.mediaType, label: label)

        var layers: [PlannedBlob] = []
        for (i, layer) in manifest.layers.enumerated() {
            let what = "\(label): layer \(i + 1) \(layer.digest)"
            let path = try blobPath(layer.digest, what: what)
            guard FileManager.default.fileExists(atPath: path.path) else {
                throw ImageError.missingBlob("\(label): manifest \(desc.digest) (layer \(i + 1))", layer.digest)
            }
            if let actual = Self.fileSize(path), actual != layer.size {
                throw ImageError.sizeMismatch(what, expected: layer.size, actual: actual)
            }
            layers.append(PlannedBlob(source: path, digest: layer.digest, size: layer.size, what: what))
        }
        if stored.converted {
            logger.info("\(label): converted manifest \(desc.digest.short) (\(manifest.mediaType ?? "no media type")) to OCI")
        }
        return PlannedImage(names: [], origin: label, manifest: stored.data, manifestDigest: Digest.sha256(stored.data),
                            config: configData, configDigest: manifest.config.digest, layers: layers)
    }

    /// The linux/amd64 manifest of a multi-platform index.
    static func selectPlatform(_ index: OCIIndex, label: String) throws -> OCIDescriptor {
        try PlatformChoice.host.select(from: index, label: label)
    }

    private func readBlob(_ desc: OCIDescriptor, what: String) throws -> Data {
        let path = try blobPath(desc.digest, what: what)
        guard FileManager.default.fileExists(atPath: path.path) else { throw ImageError.missingBlob(what, desc.digest) }
        let data = try readFile(path, what: what)
        if Int64(data.count) != desc.size { throw ImageError.sizeMismatch(what, expected: desc.size, actual: Int64(data.count)) }
        let actual = Digest.sha256(data)
        guard actual == desc.digest else { throw ImageError.digestMismatch(what, expected: desc.digest, actual: actual) }
        return data
    }

    private func readFile(_ url: URL, what: String) throws -> Data {
        let file = try RawFile.open(url, flags: O_RDONLY)
        defer { file.close() }
        guard let data = try file.readAll(limit: BlobStore.documentLimit) else {
            throw ImageError.documentTooLarge(what, BlobStore.documentLimit)
        }
        return data
    }

    private func blobPath(_ digest: Digest, what: String) throws -> URL {
        let path = root.appendingPathComponent("blobs/sha256/\(digest.hex)")
        if confined { try ArchivePath.checkInside(path, root: root) }
        return path
    }

    static func fileSize(_ url: URL) -> Int64? {
        var st = stat()
        return stat(url.path, &st) == 0 ? Int64(st.st_size) : nil
    }

    static func unique(_ refs: [ImageReference]) -> [ImageReference] {
        var seen = Set<String>()
        return refs.filter { seen.insert($0.string).inserted }
    }
}

/// Just enough of a JSON document to tell an index from a manifest.
struct DocumentProbe: Decodable {
    var mediaType: String?
    var manifests: [OCIDescriptor]?
}
