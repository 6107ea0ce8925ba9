import Foundation

/// The image that exists without any network: `busybox:latest`, made from the rootfs
/// folder guest-agent/build-busybox-rootfs.sh builds out of Debian's busybox-static. It is
/// a real OCI image (one gzip layer, config, manifest), made reproducibly: the same
/// rootfs always gives the same digest, so its cached disk survives re-imports.
struct BuiltinImage {
    let directory: URL  // $HULL_HOME/images/busybox

    static let reference = ImageReference(domain: ImageReference.defaultDomain, path: "library/busybox",
                                          tag: ImageReference.defaultTag, digest: nil)
    static let path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    var rootfs: URL { directory.appendingPathComponent("rootfs") }
    var versionFile: URL { directory.appendingPathComponent("version") }

    /// The rootfs's version line ("busybox 1.35.0 rootfs e1ded37b6e26"), nil when there is no rootfs.
    func version() -> String? {
        guard FileManager.default.fileExists(atPath: rootfs.appendingPathComponent("bin/busybox").path) else { return nil }
        let text = (try? String(contentsOf: versionFile, encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return line.isEmpty ? "unversioned" : line
    }

    func plan(scratch: URL) throws -> PlannedImage {
        guard let version = version() else { throw ImageError.builtinRootfsMissing(rootfs.path) }
        let tar = scratch.appendingPathComponent("layer.tar")
        let gzipped = scratch.appendingPathComponent("layer.tar.gz")
        // Sorted names, epoch mtimes and numeric root ownership: byte-identical output for
        // an identical tree. `gzip -n` leaves out the name and time gzip would record.
        try ToolRunner.run("tar", [
            "--sort=name", "--mtime=@0", "--numeric-owner", "--owner=0", "--group=0",
            "-C", rootfs.path, "-c", "-f", tar.path, ".",
        ])
        let diffID = try Digest.sha256(fileAt: tar).digest
        try ToolRunner.run("gzip", ["-n", "-c", tar.path], stdout: gzipped)
        let (layerDigest, layerSize) = try Digest.sha256(fileAt: gzipped)

        let config = OCIImageConfig(
            config: .init(env: [Self.path], cmd: ["sh"]),
            rootfs: .init(diffIDs: [diffID]),
            history: [.init(createdBy: "hull: built-in image from Debian's busybox-static (\(version))")])
        let configData = try JSONCoding.encode(config)
        let manifest = OCIManifest(
            config: OCIDescriptor(mediaType: MediaType.ociConfig, digest: Digest.sha256(configData), size: Int64(configData.count)),
            layers: [OCIDescriptor(mediaType: MediaType.ociLayerGzip, digest: layerDigest, size: layerSize)])
        let manifestData = try JSONCoding.encode(manifest)
        return PlannedImage(
            names: [Self.reference], origin: "built-in busybox", manifest: manifestData,
            manifestDigest: Digest.sha256(manifestData), config: configData, configDigest: manifest.config.digest,
            layers: [PlannedBlob(source: gzipped, digest: layerDigest, size: layerSize, what: "built-in busybox layer")])
    }
}
