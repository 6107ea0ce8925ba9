import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Root filesystems cached per image manifest digest, built once and then only read:
/// ext4 disks `disks/<hex>.ext4` (each guest gets a qcow2 overlay backed by one) and
/// unpacked trees `trees/<hex>.tree/` (runc and runsc containers get a copy of one).
/// Built under a partial name and renamed, so an entry that exists is complete; one build
/// lock per cache keeps two processes from building the same entry.
public struct RootfsCache: Sendable {
    public let directory: URL
    /// ".ext4" for disks, ".tree" for unpacked directories.
    public let suffix: String

    public init(directory: URL, suffix: String) {
        self.directory = directory
        self.suffix = suffix
    }

    public func path(for manifest: Digest) -> URL {
        directory.appendingPathComponent("\(manifest.hex)\(suffix)")
    }

    public func cached(_ manifest: Digest) -> URL? {
        let entry = path(for: manifest)
        return FileManager.default.fileExists(atPath: entry.path) ? entry : nil
    }

    /// The entry for `manifest`, built on first use: `build` makes it at the (partial)
    /// path it is given. `built` says whether this call built it.
    func entry(for manifest: Digest, build: (URL) throws -> Void) throws -> (url: URL, built: Bool) {
        if let entry = cached(manifest) { return (entry, false) }
        try PrivateFile.createDirectory(directory)   // disks/: the vm driver grants QEMU's group
        return try FileLock.withLock(directory.appendingPathComponent(".build.lock"), .exclusive) {
            // Another process may have built it while this one waited for the lock.
            if let entry = cached(manifest) { return (entry, false) }
            removeStalePartials()
            let partial = directory.appendingPathComponent(".partial-\(getpid())-\(UUID().uuidString.lowercased())\(suffix)")
            defer { try? FileManager.default.removeItem(at: partial) }
            try build(partial)
            let entry = path(for: manifest)
            guard rename(partial.path, entry.path) == 0 else { throw ImageError.io("rename \(partial.path)", errno) }
            RawFile.syncDirectory(directory)
            return (entry, true)
        }
    }

    /// The ext4 disk for `manifest`: `populate` fills the folder it is given (in
    /// `scratch`) with the root filesystem, which is then made into the disk.
    func disk(for manifest: Digest, scratch: TempArea, populate: (URL) throws -> Void) throws -> (url: URL, built: Bool) {
        try entry(for: manifest) { partial in
            try scratch.withDirectory { dir in
                let tree = dir.appendingPathComponent("rootfs")
                try populate(tree)
                try Ext4DiskBuilder.build(from: tree, into: partial)
            }
            let file = try RawFile.open(partial, flags: O_RDONLY)
            try? file.sync()
            file.close()
        }
    }

    /// Cached entries by manifest digest.
    public func all() -> [Digest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name in
            name.hasSuffix(suffix) && !name.hasPrefix(".") ? Digest(hex: name.dropLast(suffix.count)) : nil
        }
    }

    func remove(_ manifest: Digest) {
        try? FileManager.default.removeItem(at: path(for: manifest))
    }

    /// Partial entries of builds whose process is gone.
    func removeStalePartials() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(".partial-") {
            let pid = Int32(name.dropFirst(9).prefix { $0.isNumber }) ?? 0
            if pid > 0 && TempArea.isAlive(pid) { continue }
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }
}
