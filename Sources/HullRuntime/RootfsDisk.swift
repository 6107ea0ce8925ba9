import Foundation

/// Where a container's root filesystem comes from.
public enum RootfsSource: Sendable, Equatable {
    /// The built-in busybox rootfs made by scripts/setup.sh from Debian's busybox-static.
    case builtinBusybox
    /// A root filesystem directory on the host.
    case directory(URL)
    /// A tarball (any compression GNU tar detects) of a root filesystem.
    case tarball(URL)
}

/// Turns a root filesystem into an ext4 disk with `mkfs.ext4 -d` (no loop mounts, no
/// root mount namespace tricks) and gives each container a copy-on-write qcow2 overlay of it.
public struct RootfsDiskBuilder: Sendable {
    public var paths: HullPaths

    public init(paths: HullPaths) {
        self.paths = paths
    }

    /// The base disk for `source`. Built-in rootfs disks are cached per rootfs version and
    /// reused; disks from a user's directory or tarball are built into `scratch` and go
    /// away with it.
    public func baseDisk(for source: RootfsSource, scratch: URL) throws -> URL {
        switch source {
        case .builtinBusybox:
            let rootfs = paths.builtinRootfs
            guard FileManager.default.fileExists(atPath: rootfs.appendingPathComponent("bin/busybox").path) else {
                throw RootfsError.builtinMissing(rootfs.path)
            }
            let version = GuestImage.readLine(paths.builtinRootfsVersion) ?? "unversioned"
            let key = version.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }
            let cached = paths.disks.appendingPathComponent("busybox-\(String(key)).ext4")
            if FileManager.default.fileExists(atPath: cached.path) { return cached }
            try FileManager.default.createDirectory(at: paths.disks, withIntermediateDirectories: true)
            // Build beside the final name and rename, so a crash never leaves a
            // half-written disk in the cache.
            let partial = paths.disks.appendingPathComponent(".partial-\(UUID().uuidString).ext4")
            defer { try? FileManager.default.removeItem(at: partial) }
            try makeExt4(from: rootfs, into: partial)
            try FileManager.default.moveItem(at: partial, to: cached)
            return cached
        case .directory(let dir):
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
                throw RootfsError.notADirectory(dir.path)
            }
            let disk = scratch.appendingPathComponent("rootfs.ext4")
            try makeExt4(from: dir, into: disk)
            return disk
        case .tarball(let tar):
            guard FileManager.default.isReadableFile(atPath: tar.path) else { throw RootfsError.unreadable(tar.path) }
            let tree = scratch.appendingPathComponent("rootfs-tree")
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: tree) }
            do {
                try CommandRunner.run("/usr/bin/tar", ["-x", "-f", tar.path, "-C", tree.path, "--numeric-owner"])
            } catch let error as CommandError {
                throw RootfsError.badTarball(tar.path, error.output)
            }
            let disk = scratch.appendingPathComponent("rootfs.ext4")
            try makeExt4(from: tree, into: disk)
            return disk
        }
    }

    /// A qcow2 overlay whose backing file is `base`: the container writes into the overlay
    /// and the base disk is never copied or modified.
    public func overlay(base: URL, at overlay: URL) throws {
        try CommandRunner.run("/usr/bin/qemu-img", [
            "create", "-q", "-f", "qcow2", "-F", "raw", "-b", base.path, overlay.path,
        ])
    }

    func makeExt4(from tree: URL, into disk: URL) throws {
        let usedKiB = try directorySizeKiB(tree)
        // Room for the container to write, inodes and the journal; mkfs needs a size.
        let sizeKiB = max(64 * 1024, usedKiB + usedKiB / 3 + 32 * 1024)
        try CommandRunner.run("/sbin/mkfs.ext4", [
            "-q", "-F", "-m", "0", "-L", "hull-rootfs", "-d", tree.path, disk.path, "\(sizeKiB)k",
        ])
        // QEMU runs as libvirt-qemu; a shared base disk must be readable by it.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: disk.path)
    }

    private func directorySizeKiB(_ tree: URL) throws -> Int {
        let out = try CommandRunner.run("/usr/bin/du", ["-sk", "--apparent-size", tree.path])
        return Int(out.split(separator: "\t").first ?? "0") ?? 0
    }
}

public enum RootfsError: Error, CustomStringConvertible {
    case builtinMissing(String)
    case notADirectory(String)
    case unreadable(String)
    case badTarball(String, String)

    public var description: String {
        switch self {
        case .builtinMissing(let p): "the built-in busybox rootfs is missing at \(p): run scripts/setup.sh"
        case .notADirectory(let p): "--rootfs \(p): not a directory"
        case .unreadable(let p): "--rootfs \(p): cannot read the file"
        case .badTarball(let p, let out): "--rootfs \(p): not a readable tar archive: \(out.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }
}
