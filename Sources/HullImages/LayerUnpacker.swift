import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Applies an image's layers, in order, to an empty folder with `umoci raw unpack`.
/// umoci does what a hand-written unpacker would get subtly wrong: `.wh.` whiteouts and
/// opaque directories (`.wh..wh..opq`, whatever its place among its siblings), hard links,
/// symlinks, a file replaced by a directory and back, permissions with setuid/setgid/sticky,
/// numeric ownership, xattrs, device nodes; and it checks each layer's digest as it reads.
///
/// umoci takes an image by tag from a layout, so each unpack gets a throwaway layout in
/// scratch space whose `blobs` is a symlink to the store's and whose index.json names
/// just this manifest: the store's own index.json is neither needed nor touched.
///
/// Debian's umoci (0.4.7) refuses zstd layers ("blob is not correct mediatype"). Such
/// layers are decompressed with the `zstd` tool into the throwaway layout, as plain tar
/// layers named by their diff_id, and the layout gets a rewritten manifest that points at
/// them; umoci then applies plain tars. The store itself keeps the zstd blobs as pulled.
struct LayerUnpacker {
    let blobsRoot: URL   // the store's `blobs` folder (holding sha256/)

    static let scratchTag = "hull-unpack"

    func unpack(manifest: OCIDescriptor, content: OCIManifest, into rootfs: URL, scratch: URL) throws {
        let layout = scratch.appendingPathComponent("layout")
        try FileManager.default.createDirectory(at: layout, withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: layout.appendingPathComponent("oci-layout"))
        var entry = manifest
        entry.mediaType = MediaType.ociManifest
        entry.annotations = [OCIAnnotation.refName: Self.scratchTag]
        if content.layers.contains(where: { Self.isZstd($0.mediaType) }) {
            entry = try decompressZstdLayers(content, entry: entry, layout: layout)
        } else {
            try FileManager.default.createSymbolicLink(at: layout.appendingPathComponent("blobs"), withDestinationURL: blobsRoot)
        }
        try JSONCoding.encode(OCIIndex(manifests: [entry])).write(to: layout.appendingPathComponent("index.json"))

        var arguments = ["raw", "unpack", "--image", "\(layout.path):\(Self.scratchTag)"]
        // Without root, ownership cannot be applied; umoci then records what it could.
        if geteuid() != 0 { arguments.append("--rootless") }
        arguments.append(rootfs.path)
        do {
            try ToolRunner.run("umoci", arguments)
        } catch ImageError.toolFailed(let command, let status, let output) {
            if output.contains("digest mismatch") {
                throw ImageError.toolFailed(command, status: status, output: output + " (a stored layer is corrupt: hull image rm the image and load it again)")
            }
            throw ImageError.toolFailed(command, status: status, output: output)
        }
    }

    static func isZstd(_ mediaType: String) -> Bool {
        mediaType == MediaType.ociLayerZstd || mediaType == MediaType.ociLayerNondistributableZstd
    }

    /// A layout of its own: the store's blobs linked in one by one, zstd layers as plain
    /// tars, and a manifest naming those; returns the index entry of that manifest.
    private func decompressZstdLayers(_ content: OCIManifest, entry: OCIDescriptor, layout: URL) throws -> OCIDescriptor {
        let blobs = layout.appendingPathComponent("blobs/sha256")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        let store = blobsRoot.appendingPathComponent("sha256")
        func link(_ digest: Digest) throws {
            let target = blobs.appendingPathComponent(digest.hex)
            if !FileManager.default.fileExists(atPath: target.path) {
                try FileManager.default.createSymbolicLink(at: target, withDestinationURL: store.appendingPathComponent(digest.hex))
            }
        }
        try link(content.config.digest)
        var rewritten = content
        for (i, layer) in content.layers.enumerated() {
            guard Self.isZstd(layer.mediaType) else {
                try link(layer.digest)
                continue
            }
            let plain = blobs.appendingPathComponent("zstd-\(i).tar")
            try ToolRunner.run("zstd", ["-d", "-q", "-c", store.appendingPathComponent(layer.digest.hex).path], stdout: plain)
            let (digest, size) = try Digest.sha256(fileAt: plain)
            let named = blobs.appendingPathComponent(digest.hex)
            if FileManager.default.fileExists(atPath: named.path) { try FileManager.default.removeItem(at: named) }
            try FileManager.default.moveItem(at: plain, to: named)
            rewritten.layers[i] = OCIDescriptor(mediaType: layer.mediaType == MediaType.ociLayerZstd ? MediaType.ociLayer : MediaType.ociLayerNondistributable,
                                                digest: digest, size: size)
        }
        rewritten.mediaType = MediaType.ociManifest
        let data = try JSONCoding.encode(rewritten)
        let digest = Digest.sha256(data)
        try data.write(to: blobs.appendingPathComponent(digest.hex))
        var result = entry
        result.digest = digest
        result.size = Int64(data.count)
        return result
    }
}
