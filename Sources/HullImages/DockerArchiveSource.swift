import Foundation
import Logging

/// An extracted `docker save` archive (also what `skopeo copy … docker-archive:` writes):
/// `manifest.json` lists each image's config file, its tags and its layer tarballs. Each
/// image becomes an OCI manifest over the same config bytes (so the image id stays the
/// config digest) and the layers as they are; every layer is checked against the
/// config's diff_ids.
struct DockerArchiveSource {
    let root: URL
    let display: String
    let logger: Logger

    struct Entry: Decodable {
        var config: String
        var repoTags: [String]?
        var layers: [String]

        enum CodingKeys: String, CodingKey {
            case config = "Config", repoTags = "RepoTags", layers = "Layers"
        }
    }

    static func looksLike(_ dir: URL) -> Bool {
        FileManager.default.fileExists(atPath: dir.appendingPathComponent("manifest.json").path)
    }

    func plan(naming: LoadNaming) throws -> [PlannedImage] {
        let manifestPath = try ArchivePath.resolve("manifest.json", in: root)
        let file = try RawFile.open(manifestPath, flags: O_RDONLY)
        defer { file.close() }
        guard let data = try file.readAll(limit: BlobStore.documentLimit) else {
            throw ImageError.documentTooLarge("\(display): manifest.json", BlobStore.documentLimit)
        }
        let entries = try JSONCoding.decode([Entry].self, from: data, what: "\(display): manifest.json")
        guard !entries.isEmpty else { throw ImageError.nothingToLoad(display) }
        try naming.check(imageCount: entries.count)
        return try entries.enumerated().map { i, entry in try planImage(entry, index: i, naming: naming) }
    }

    private func planImage(_ entry: Entry, index: Int, naming: LoadNaming) throws -> PlannedImage {
        var declared: [ImageReference] = []
        for tag in entry.repoTags ?? [] {
            if let ref = try? ImageReference(parsing: tag) { declared.append(ref) }
            else { logger.warning("\(display): ignoring RepoTags entry \"\(tag)\": not an image name") }
        }
        let label = declared.first?.familiar ?? "\(display): manifest.json[\(index)]"

        let configPath = try ArchivePath.resolve(entry.config, in: root)
        guard FileManager.default.fileExists(atPath: configPath.path) else {
            throw ImageError.badDocument("\(display): manifest.json[\(index)]", "its config \(entry.config) is not in the archive")
        }
        let file = try RawFile.open(configPath, flags: O_RDONLY)
        defer { file.close() }
        guard let configData = try file.readAll(limit: BlobStore.documentLimit) else {
            throw ImageError.documentTooLarge("\(label): config", BlobStore.documentLimit)
        }
        let configDigest = Digest.sha256(configData)
        // Docker names the config file after its digest; a differing name means damage.
        if let named = Digest(hex: configPath.deletingPathExtension().lastPathComponent), named != configDigest {
            throw ImageError.digestMismatch("\(label): config \(entry.config)", expected: named, actual: configDigest)
        }
        let config = try OCIImageConfig.decode(configData, what: "\(label): config \(entry.config)")
        guard config.platform.runsOnHost() else { throw ImageError.wrongPlatform(label, found: config.platform.description) }
        guard config.rootfs.diffIDs.count == entry.layers.count else {
            throw ImageError.layerCountMismatch(label, layers: entry.layers.count, diffIDs: config.rootfs.diffIDs.count)
        }

        var layers: [PlannedBlob] = []
        var descriptors: [OCIDescriptor] = []
        for (i, relative) in entry.layers.enumerated() {
            let path = try ArchivePath.resolve(relative, in: root)
            let what = "\(label): layer \(i + 1) (\(relative))"
            guard FileManager.default.fileExists(atPath: path.path) else {
                throw ImageError.missingBlob("\(label): manifest.json (layer \(i + 1), \(relative))", config.rootfs.diffIDs[i])
            }
            let diffID = config.rootfs.diffIDs[i]
            let blob: PlannedBlob
            let mediaType: String
            switch try Compression.detect(path) {
            case .none:
                // An uncompressed layer's digest is its diff_id; ingesting checks it.
                guard let size = OCILayoutSource.fileSize(path) else { throw ImageError.io("stat \(path.path)", errno) }
                blob = PlannedBlob(source: path, digest: diffID, size: size, what: what)
                mediaType = MediaType.ociLayer
            case .gzip:
                let (digest, size) = try Digest.sha256(fileAt: path)
                let unpacked = try ToolRunner.digestOfOutput("gzip", ["-dc", path.path]).digest
                guard unpacked == diffID else { throw ImageError.diffIDMismatch(label, layer: i, expected: diffID, actual: unpacked) }
                blob = PlannedBlob(source: path, digest: digest, size: size, what: what)
                mediaType = MediaType.ociLayerGzip
            case .zstd:
                let (digest, size) = try Digest.sha256(fileAt: path)
                let unpacked = try ToolRunner.digestOfOutput("zstd", ["-dcq", path.path]).digest
                guard unpacked == diffID else { throw ImageError.diffIDMismatch(label, layer: i, expected: diffID, actual: unpacked) }
                blob = PlannedBlob(source: path, digest: digest, size: size, what: what)
                mediaType = MediaType.ociLayerZstd
            }
            layers.append(blob)
            descriptors.append(OCIDescriptor(mediaType: mediaType, digest: blob.digest, size: blob.size ?? 0))
        }

        let manifest = OCIManifest(
            config: OCIDescriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(configData.count)),
            layers: descriptors)
        let manifestData = try JSONCoding.encode(manifest)
        return PlannedImage(
            names: OCILayoutSource.unique(naming.names(declared: declared, tagOnly: [])), origin: label,
            manifest: manifestData, manifestDigest: Digest.sha256(manifestData),
            config: configData, configDigest: configDigest, layers: layers)
    }
}

/// A layer file's compression, by its magic bytes.
enum Compression {
    case none, gzip, zstd

    static func detect(_ url: URL) throws -> Compression {
        let file = try RawFile.open(url, flags: O_RDONLY)
        defer { file.close() }
        var magic = [UInt8](repeating: 0, count: 4)
        let n = magic.withUnsafeMutableBytes { read(file.fd, $0.baseAddress, 4) }
        if n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b { return .gzip }
        if n >= 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] { return .zstd }
        return .none
    }
}
