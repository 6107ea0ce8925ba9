import Foundation
import Logging

/// Root filesystems and disks of stored images.
extension ImageStore {
    /// The cached ext4 disk of `image`, built on first use (unpack with umoci, then
    /// `mkfs.ext4 -d`). Later calls, from any process, return the same file untouched.
    public func rootfsDisk(for image: ResolvedImage) throws -> URL {
        try buildRootfsDisk(for: image).url
    }

    /// Applies the image's layers to `rootfs` (which must not exist or be empty).
    public func unpack(_ image: ResolvedImage, into rootfs: URL) throws {
        let manifest = OCIDescriptor(mediaType: MediaType.ociManifest, digest: image.manifestDigest, size: image.manifestSize)
        try temp.withDirectory { scratch in
            try withLock(.shared) {
                for blob in image.manifest.blobs where !blobs.contains(blob.digest) {
                    throw ImageError.missingBlob("image \(image.reference)", blob.digest)
                }
                try LayerUnpacker(blobsRoot: layout.appendingPathComponent("blobs"))
                    .unpack(manifest: manifest, content: image.manifest, into: rootfs, scratch: scratch)
            }
        }
    }

    /// Fills `rootfs` with a copy (`cp -a --reflink=auto`) of the image's unpacked tree,
    /// cached per manifest digest (`$HULL_HOME/trees`, removed by GC with the image): a
    /// runc/runsc container costs a copy instead of an unpack.
    public func copyUnpacked(_ image: ResolvedImage, into rootfs: URL) throws {
        let started = ContinuousClock.now
        let (tree, built) = try trees.entry(for: image.manifestDigest) { partial in
            // unpack holds the shared lock: a concurrent rm + gc cannot delete its blobs.
            try unpack(image, into: partial)
        }
        if built {
            logger.info("unpacked \(image.reference) in \(ContinuousClock.now - started): \(tree.path)")
        }
        try RootfsTree.copy(directory: tree, into: rootfs)
    }

    /// Like `rootfsDisk`, also saying whether this call built the disk.
    public func buildRootfsDisk(for image: ResolvedImage) throws -> (url: URL, built: Bool) {
        let started = ContinuousClock.now
        let result = try disks.disk(for: image.manifestDigest, scratch: temp) { tree in
            // unpack holds the shared lock: a concurrent rm + gc cannot delete its blobs.
            try unpack(image, into: tree)
        }
        if result.built {
            logger.info("built root disk for \(image.reference) in \(ContinuousClock.now - started): \(result.url.path)")
        }
        return result
    }

    /// Records in a container's run folder that it uses `image`, so that `hull image rm`
    /// refuses to remove it while the folder exists.
    public func markInUse(_ image: ResolvedImage, runDirectory: URL) throws {
        try ImageUsage.mark(image.manifestDigest, runDirectory: runDirectory)
    }
}
