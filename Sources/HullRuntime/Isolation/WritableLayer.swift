import Foundation
import Glibc
import HullProtocol

/// `--storage-opt size=`: the container writes into a file system of exactly that size,
/// an ext4 image in its run folder (`writable.ext4`, sparse: the host's disk holds only
/// what the container wrote, never more than the size). What the container cannot see
/// is the same in every mode: the image below, read-only, and a writable layer above it
/// (overlayfs, Docker's overlay2 with a size quota). A guest mounts the image as its
/// second disk (the agent builds the overlay); runc and runsc get the overlay mounted on
/// the host at `<bundle>/rootfs`, over the image's tree copied to `<bundle>/image`.
public struct WritableLayer: Sendable, Equatable {
    public static let diskName = "writable.ext4"
    /// The copied image under runc/runsc (the overlay's lower directory).
    static let imageName = "lower"
    /// Where `writable.ext4` is mounted under runc/runsc (upper/ and work/ inside).
    static let mountName = "writable"

    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    public var disk: URL { directory.appendingPathComponent(WritableLayer.diskName) }
    var image: URL { directory.appendingPathComponent(WritableLayer.imageName) }
    var mountPoint: URL { directory.appendingPathComponent(WritableLayer.mountName) }
    var rootfs: URL { directory.appendingPathComponent(RuntimeSpec.Root().path) }

    /// The layer of the container whose run folder is `directory`, if it has one.
    public static func existing(in directory: URL) -> WritableLayer? {
        let layer = WritableLayer(directory: directory)
        return FileManager.default.fileExists(atPath: layer.disk.path) ? layer : nil
    }

    /// Makes `writable.ext4` of `sizeMiB` (validated: 16 MiB to 1 TiB). No reserved
    /// blocks; ext4's own metadata (journal, inode tables) takes a few percent of it.
    public static func create(sizeMiB: Int, in directory: URL) throws -> WritableLayer {
        let layer = WritableLayer(directory: directory)
        let size = Int64(min(max(sizeMiB, 1), 1 << 20)) << 20
        guard FileManager.default.createFile(atPath: layer.disk.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              truncate(layer.disk.path, off_t(size)) == 0 else {
            throw WritableLayerError.failed("creating \(layer.disk.path): \(String(cString: strerror(errno)))")
        }
        try run("/sbin/mkfs.ext4", ["-q", "-F", "-m", "0", "-L", "hull-writable", layer.disk.path])
        return layer
    }

    /// runc/runsc: the image tree (already copied to `image/`) below, the ext4 above,
    /// merged at `rootfs/`. Nothing happens when it is mounted already (a restart).
    public func mountOverlay() throws {
        guard !WritableLayer.isMountPoint(rootfs.path) else { return }
        let manager = FileManager.default
        try manager.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        try manager.createDirectory(at: rootfs, withIntermediateDirectories: true)
        if !WritableLayer.isMountPoint(mountPoint.path) {
            try WritableLayer.run("/bin/mount", ["-t", "ext4", "-o", "loop,nosuid,nodev", disk.path, mountPoint.path])
        }
        let upper = mountPoint.appendingPathComponent("upper"), work = mountPoint.appendingPathComponent("work")
        try manager.createDirectory(at: upper, withIntermediateDirectories: true)
        try manager.createDirectory(at: work, withIntermediateDirectories: true)
        let options = "lowerdir=\(image.path),upperdir=\(upper.path),workdir=\(work.path)"
        guard mount("overlay", rootfs.path, "overlay", 0, options) == 0 else {
            let reason = String(cString: strerror(errno))
            unmount()
            throw WritableLayerError.failed("mounting the overlay on \(rootfs.path): \(reason)")
        }
    }

    /// Undoes `mountOverlay` (the loop device goes with the ext4's unmount: mount set
    /// autoclear). Safe to call when nothing is mounted.
    public func unmount() {
        for path in [rootfs.path, mountPoint.path] where WritableLayer.isMountPoint(path) {
            if umount2(path, 0) != 0 { _ = umount2(path, Int32(MNT_DETACH)) }
        }
    }

    /// Whether `path` is a mount point, from /proc/self/mountinfo (field 5).
    static func isMountPoint(_ path: String) -> Bool {
        guard let text = HostFile.read("/proc/self/mountinfo", limit: 4 << 20) else { return false }
        return text.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ", maxSplits: 5)
            return fields.count > 4 && fields[4] == path
        }
    }

    private static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            throw WritableLayerError.failed("\(tool): \(error)")
        }
        let text = String(decoding: (try? output.fileHandleForReading.read(upToCount: 64 << 10)) ?? Data(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw WritableLayerError.failed("\(tool) \(arguments.joined(separator: " ")): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}

public enum WritableLayerError: Error, CustomStringConvertible {
    case failed(String)
    public var description: String {
        switch self {
        case .failed(let what): "--storage-opt size: \(what)"
        }
    }
}
