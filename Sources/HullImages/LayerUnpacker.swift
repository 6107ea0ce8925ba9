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
struct LayerUnpacker {
    let blobsRoot: URL   // the store's `blobs` folder (holding sha256/)

    static let scratchTag = "hull-unpack"

    func unpack(manifest: OCIDescriptor, into rootfs: URL, scratch: URL) throws {
        let layout = scratch.appendingPathComponent("layout")
        try FileManager.default.createDirectory(at: layout, withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: layout.appendingPathComponent("oci-layout"))
        var entry = manifest
        entry.mediaType = MediaType.ociManifest
        entry.annotations = [OCIAnnotation.refName: Self.scratchTag]
        try JSONCoding.encode(OCIIndex(manifests: [entry])).write(to: layout.appendingPathComponent("index.json"))
        try FileManager.default.createSymbolicLink(at: layout.appendingPathComponent("blobs"), withDestinationURL: blobsRoot)

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
}
