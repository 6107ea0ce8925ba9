import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Cached ext4 root disks, one per image manifest digest: `disks/<hex>.ext4`. A disk is
/// built once (unpack + mkfs) and then only ever read: each container gets a qcow2
/// overlay backed by it. Built under a partial name and renamed, so a disk file that
/// exists is complete; one build lock keeps two processes from building the same disk.
public struct RootfsDiskCache: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    public func path(for manifest: Digest) -> URL {
        directory.appendingPathComponent("\(manifest.hex).ext4")
    }

    public func cached(_ manifest: Digest) -> URL? {
        let disk = path(for: manifest)
        return FileManager.default.fileExists(atPath: disk.path) ? disk : nil
    }

    /// The disk for `manifest`, built on first use: `populate` fills the folder it is given
    /// with the root filesystem, in `scratch`. `built` says whether this call built it.
    func disk(for manifest: Digest, scratch: TempArea, populate: (URL) throws -> Void) throws -> (url: URL, built: Bool) {
        if let disk = cached(manifest) { return (disk, false) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try FileLock.withLock(directory.appendingPathComponent(".build.lock"), .exclusive) {
            // Another process may have built it while this one waited for the lock.
            if let disk = cached(manifest) { return (disk, false) }
            removeStalePartials()
            let partial = directory.appendingPathComponent(".partial-\(getpid())-\(UUID().uuidString.lowercased()).ext4")
            defer { unlink(partial.path) }
            try scratch.withDirectory { dir in
                let tree = dir.appendingPathComponent("rootfs")
                try populate(tree)
                try Ext4DiskBuilder.build(from: tree, into: partial)
            }
            let file = try RawFile.open(partial, flags: O_RDONLY)
            try? file.sync()
            file.close()
            let disk = path(for: manifest)
            guard rename(partial.path, disk.path) == 0 else { throw ImageError.io("rename \(partial.path)", errno) }
            RawFile.syncDirectory(directory)
            return (disk, true)
        }
    }

    /// Cached disks by manifest digest.
    public func all() -> [Digest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name in
            name.hasSuffix(".ext4") ? Digest(hex: name.dropLast(5)) : nil
        }
    }

    func remove(_ manifest: Digest) {
        unlink(path(for: manifest).path)
    }

    /// Partial disks of builds whose process is gone.
    func removeStalePartials() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(".partial-") {
            let pid = Int32(name.dropFirst(9).prefix { $0.isNumber }) ?? 0
            if pid > 0 && TempArea.isAlive(pid) { continue }
            unlink(directory.appendingPathComponent(name).path)
        }
    }
}
