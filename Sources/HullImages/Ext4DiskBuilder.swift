import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Turns a root filesystem folder (or tarball) into an ext4 disk image with
/// `mkfs.ext4 -d`: no loop mounts, no mount namespaces. mkfs copies ownership, modes,
/// hard links, symlinks, device nodes and xattrs from the folder.
public enum Ext4DiskBuilder {
    /// Builds `disk` from `tree`. The file system is sized for the tree plus room for the
    /// container to write; mkfs writes it sparse, so the headroom costs nothing on disk.
    public static func build(from tree: URL, into disk: URL) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: tree.path, isDirectory: &isDir), isDir.boolValue else {
            throw ImageError.notADirectory(tree.path)
        }
        let usage = try measure(tree)
        // du's figures follow the image (sparse files claim any size): bound them so the
        // sums cannot overflow; mkfs.ext4 refuses sizes this large with its own message.
        let kib = min(max(usage.kib, 0), 1 << 40), files = min(max(usage.inodes, 0), 1 << 32)
        let sizeKiB = max(64 * 1024, kib + kib / 3 + 32 * 1024)
        // The default of one inode per 16 KiB runs short for trees of many small files.
        let inodes = max(16_384, files + files / 2 + 4096)
        try ToolRunner.run("mkfs.ext4", [
            "-q", "-F", "-m", "0", "-N", "\(inodes)", "-L", "hull-rootfs", "-d", tree.path, disk.path, "\(sizeKiB)k",
        ])
        // Root's alone until a guest needs it: the vm driver then gives QEMU's group read
        // access (HullRuntime's HomeAccess), never the world.
        _ = chmod(disk.path, 0o600)
    }

    /// Extracts `tarball` (any compression GNU tar detects) into `scratch` and builds `disk` from it.
    public static func build(fromTarball tarball: URL, scratch: URL, into disk: URL) throws {
        let tree = scratch.appendingPathComponent("rootfs-tree")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        defer { TempArea.removeTree(tree) }
        try RootfsTree.extract(tarball: tarball, into: tree)
        try build(from: tree, into: disk)
    }

    static func measure(_ tree: URL) throws -> (kib: Int, inodes: Int) {
        let size = try ToolRunner.run("du", ["-s", "-k", "--apparent-size", tree.path])
        let count = try ToolRunner.run("du", ["-s", "--inodes", tree.path])
        func first(_ text: String) -> Int { Int(text.split(whereSeparator: { $0 == "\t" || $0 == " " }).first ?? "0") ?? 0 }
        return (first(size), first(count))
    }
}

/// A container's copy-on-write view of a base disk: a qcow2 file whose backing file is
/// the base. The container writes into the overlay; the base is never copied or changed.
public enum DiskOverlay {
    public static func create(base: URL, at overlay: URL) throws {
        try ToolRunner.run("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "raw", "-b", base.path, overlay.path])
    }
}
