import Foundation
import HullImages

/// Where a container's root filesystem comes from.
public enum RootfsSource: Sendable, Equatable {
    /// An image in the store: `busybox` (built in, made from Debian's busybox-static and
    /// imported on first use), `name:tag`, `name@sha256:…`, `sha256:…`.
    case image(String)
    /// A root filesystem directory on the host.
    case directory(URL)
    /// A tarball (any compression GNU tar detects) of a root filesystem.
    case tarball(URL)
}

/// The runtime's door to root disks; the work is HullImages' (image store, cached ext4
/// disks per image digest, qcow2 overlays).
public struct RootfsDiskBuilder: Sendable {
    public var paths: HullPaths

    public init(paths: HullPaths) {
        self.paths = paths
    }

    /// The base disk for `source`. Image disks are cached per manifest digest and shared by
    /// every container of that image; the image is recorded as in use in `scratch` (the
    /// run folder). Disks from a user's directory or tarball are built into `scratch` and
    /// go away with it.
    public func baseDisk(for source: RootfsSource, scratch: URL) throws -> (disk: URL, defaults: ImageDefaults) {
        switch source {
        case .image(let reference):
            let resolved = try baseDisk(forImage: reference, runDirectory: scratch)
            return (resolved.disk, ImageDefaults(image: resolved.image))
        case .directory(let dir):
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
                throw RootfsError.notADirectory(dir.path)
            }
            let disk = scratch.appendingPathComponent("rootfs.ext4")
            try Ext4DiskBuilder.build(from: dir, into: disk)
            return (disk, .none)
        case .tarball(let tar):
            guard FileManager.default.isReadableFile(atPath: tar.path) else { throw RootfsError.unreadable(tar.path) }
            let disk = scratch.appendingPathComponent("rootfs.ext4")
            do {
                try Ext4DiskBuilder.build(fromTarball: tar, scratch: scratch, into: disk)
            } catch ImageError.notAnArchive(_, let output) {
                throw RootfsError.badTarball(tar.path, output)
            }
            return (disk, .none)
        }
    }

    /// The cached base disk of the image `reference` names (`busybox`, `app:v1`,
    /// `sha256:…`), built on first use, and the image itself (its config has the
    /// container defaults). Records in `runDirectory` that the container uses the image.
    public func baseDisk(forImage reference: String, runDirectory: URL) throws -> (disk: URL, image: ResolvedImage) {
        let store = ImageStore(home: paths.home)
        let image = try store.resolve(reference)
        try store.markInUse(image, runDirectory: runDirectory)
        return (try store.rootfsDisk(for: image), image)
    }

    /// Fills the directory `tree` with the root filesystem of `source` (runc and runsc run
    /// from a directory) and returns the image's defaults. The image is recorded as in use
    /// in `runDirectory`.
    public func tree(for source: RootfsSource, into tree: URL, runDirectory: URL) throws -> ImageDefaults {
        switch source {
        case .image(let reference):
            let store = ImageStore(home: paths.home)
            let image = try store.resolve(reference)
            try store.markInUse(image, runDirectory: runDirectory)
            try store.copyUnpacked(image, into: tree)
            return ImageDefaults(image: image)
        case .directory(let dir):
            do {
                try RootfsTree.copy(directory: dir, into: tree)
            } catch ImageError.notADirectory {
                throw RootfsError.notADirectory(dir.path)
            }
            return .none
        case .tarball(let tar):
            guard FileManager.default.isReadableFile(atPath: tar.path) else { throw RootfsError.unreadable(tar.path) }
            do {
                try RootfsTree.extract(tarball: tar, into: tree)
            } catch ImageError.notAnArchive(_, let output) {
                throw RootfsError.badTarball(tar.path, output)
            }
            return .none
        }
    }

    /// A qcow2 overlay whose backing file is `base`: the container writes into the overlay
    /// and the base disk is never copied or modified.
    public func overlay(base: URL, at overlay: URL) throws {
        try DiskOverlay.create(base: base, at: overlay)
    }
}

public enum RootfsError: Error, CustomStringConvertible {
    case notADirectory(String)
    case unreadable(String)
    case badTarball(String, String)

    public var description: String {
        switch self {
        case .notADirectory(let p): "--rootfs \(p): not a directory"
        case .unreadable(let p): "--rootfs \(p): cannot read the file"
        case .badTarball(let p, let out): "--rootfs \(p): not a readable tar archive: \(out.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }
}

extension ImageDefaults {
    /// The container defaults in an image's config.
    init(image: ResolvedImage) {
        let c = image.config.config
        self.init(entrypoint: c?.entrypoint, cmd: c?.cmd, env: c?.env ?? [], workingDir: c?.workingDir, user: c?.user)
    }
}
