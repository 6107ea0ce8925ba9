import Foundation

/// What a garbage collection removed.
public struct GCReport: Sendable, Equatable {
    public var removedBlobs: [Digest] = []
    public var freedBytes: Int64 = 0
    /// Cached ext4 disks and unpacked trees (by manifest digest).
    public var removedDisks: [Digest] = []
}

/// What an image store holds (`ImageStore.usage`).
public struct StoreUsage: Sendable, Equatable {
    /// Entries of index.json (tagged images and digests kept by name).
    public var images = 0
    public var blobBytes: Int64 = 0
    /// Cached ext4 disks and unpacked trees, and their bytes.
    public var cachedDisks = 0
    public var cachedDiskBytes: Int64 = 0
    /// What a garbage collection would free now: blobs no image leads to, and cached
    /// disks of images that are gone.
    public var reclaimableBlobBytes: Int64 = 0
    public var reclaimableDiskBytes: Int64 = 0
}

/// Deletes blobs that no entry of index.json leads to, and cached disks and trees of manifests
/// that are gone, except those a running container still uses. Runs under the store's
/// exclusive lock, so no load can be halfway through adding what it would delete.
struct ImageGC {
    let blobs: BlobStore
    let caches: [RootfsCache]

    /// Every blob reachable from `index`, and which of them are image manifests.
    func reachable(from index: OCIIndex) -> (blobs: Set<Digest>, manifests: Set<Digest>) {
        var seen = Set<Digest>()
        var manifests = Set<Digest>()
        var pending = index.manifests
        while let desc = pending.popLast() {
            guard seen.insert(desc.digest).inserted else { continue }
            // A blob that cannot be read or parsed is kept, with nothing below it.
            guard let data = try? blobs.read(desc.digest, what: "blob"),
                  let probe = try? JSONDecoder().decode(DocumentProbe.self, from: data) else { continue }
            if MediaType.isIndex(desc.mediaType) || (desc.mediaType.isEmpty && probe.manifests != nil) {
                pending += probe.manifests ?? []
            } else if let manifest = try? JSONDecoder().decode(OCIManifest.self, from: data) {
                manifests.insert(desc.digest)
                for blob in manifest.blobs { seen.insert(blob.digest) }
            }
        }
        return (seen, manifests)
    }

    /// What a collection would remove now, and the bytes it would free (nothing removed).
    func plan(index: OCIIndex, inUse: Set<Digest>) -> GCReport {
        let live = reachable(from: index)
        var report = GCReport()
        for digest in blobs.all() where !live.blobs.contains(digest) {
            report.freedBytes += blobs.size(digest) ?? 0
            report.removedBlobs.append(digest)
        }
        for cache in caches {
            for digest in cache.all() where !live.manifests.contains(digest) && !inUse.contains(digest) {
                report.freedBytes += OCILayoutSource.fileSize(cache.path(for: digest)) ?? 0
                report.removedDisks.append(digest)
            }
        }
        return report
    }

    func collect(index: OCIIndex, inUse: Set<Digest>) -> GCReport {
        let report = plan(index: index, inUse: inUse)
        for digest in report.removedBlobs { blobs.remove(digest) }
        let doomed = Set(report.removedDisks)
        for cache in caches {
            for digest in cache.all() where doomed.contains(digest) { cache.remove(digest) }
            cache.removeStalePartials()
        }
        return report
    }
}

/// Which images running containers use. The runtime writes the manifest digest of a
/// container's image to `$HULL_HOME/run/<id>/image`; the run folder goes when the
/// container does.
public struct ImageUsage: Sendable {
    public let runs: URL

    public init(runs: URL) {
        self.runs = runs
    }

    public static let fileName = "image"

    /// Manifest digest → ids of the containers using it.
    public func current() -> [Digest: [String]] {
        var usage: [Digest: [String]] = [:]
        for id in (try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? [] {
            let file = runs.appendingPathComponent(id).appendingPathComponent(Self.fileName)
            guard let text = try? String(contentsOf: file, encoding: .utf8),
                  let line = text.split(separator: "\n").first,
                  let digest = try? Digest(parsing: line.trimmingCharacters(in: .whitespaces)) else { continue }
            usage[digest, default: []].append(id)
        }
        return usage
    }

    /// Records that the container whose run folder is `runDirectory` uses `image`.
    public static func mark(_ image: Digest, runDirectory: URL) throws {
        let file = runDirectory.appendingPathComponent(fileName)
        try RawFile.writeAtomically(Data((image.string + "\n").utf8), to: file,
                                    temporary: runDirectory.appendingPathComponent(".\(fileName).tmp"))
    }
}
