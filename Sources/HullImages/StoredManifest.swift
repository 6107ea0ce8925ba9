import Foundation

/// What every way into the store (load from a file, pull from a registry) does to an
/// image's manifest and config before storing them: refuse Docker schema 1, check the
/// config's platform and layer count, and keep OCI manifests only — an OCI manifest byte
/// for byte (its digest is the one other tools show), a Docker schema 2 one rewritten to
/// OCI media types, as `skopeo copy … oci:` does.
enum StoredManifest {
    /// Decodes a manifest; `declaredType` is the media type its descriptor or the
    /// registry's Content-Type gave ("" when unknown).
    static func decode(_ data: Data, declaredType: String, what: String) throws -> OCIManifest {
        let probe = try JSONCoding.decode(DocumentProbe.self, from: data, what: what)
        if let type = probe.mediaType ?? (declaredType.isEmpty ? nil : declaredType), MediaType.isSchema1(type) {
            throw ImageError.unsupportedMediaType(what, "\(type) (Docker schema 1: convert it with skopeo copy)")
        }
        return try OCIManifest.decode(data, what: what)
    }

    /// The config must describe a linux/amd64 image with one diff_id per layer.
    static func checkConfig(_ configData: Data, manifest: OCIManifest, label: String) throws {
        guard MediaType.isConfig(manifest.config.mediaType) else {
            throw ImageError.unsupportedMediaType("\(label): config \(manifest.config.digest)", manifest.config.mediaType)
        }
        let config = try OCIImageConfig.decode(configData, what: "\(label): config \(manifest.config.digest)")
        guard config.platform.runsOnHost() else { throw ImageError.wrongPlatform(label, found: config.platform.description) }
        guard config.rootfs.diffIDs.count == manifest.layers.count else {
            throw ImageError.layerCountMismatch(label, layers: manifest.layers.count, diffIDs: config.rootfs.diffIDs.count)
        }
    }

    /// The manifest as the store keeps it, and its bytes.
    static func storedForm(_ manifest: OCIManifest, data: Data, declaredType: String, label: String) throws -> (manifest: OCIManifest, data: Data, converted: Bool) {
        var converted = manifest
        for (i, layer) in manifest.layers.enumerated() {
            guard let ociType = MediaType.ociLayerType(for: layer.mediaType) else {
                throw ImageError.unsupportedMediaType("\(label): layer \(i + 1) \(layer.digest)", layer.mediaType)
            }
            converted.layers[i].mediaType = ociType
        }
        let isDocker = manifest.mediaType == MediaType.dockerManifest || declaredType == MediaType.dockerManifest
            || manifest.config.mediaType == MediaType.dockerConfig
        guard isDocker || converted != manifest else { return (manifest, data, false) }
        converted.mediaType = MediaType.ociManifest
        converted.config.mediaType = MediaType.ociConfig
        return (converted, try JSONCoding.encode(converted), true)
    }
}
