import Foundation
import Logging

/// Loading, tagging and removing images; every change under the exclusive lock.
extension ImageStore {
    /// Loads every image in an OCI layout folder, OCI layout tar or docker save tar. All
    /// or nothing: the input is checked completely before the store changes, and if
    /// storing fails halfway the blobs this load added are removed again. `name`
    /// (`repo` or `repo:tag`) renames what the input calls its images.
    @discardableResult
    public func load(from source: URL, name: String? = nil) throws -> [LoadedImage] {
        let naming = try LoadNaming(name)
        return try temp.withDirectory { scratch in
            let plans = try ImageLoader(logger: logger).plan(source, scratch: scratch, naming: naming)
            return try withLock(.exclusive) { try commit(plans) }
        }
    }

    /// Removes the tag `text` names, or every tag of the image when `text` is a digest.
    /// The image's blobs go when no tag is left, unless a container uses it (then
    /// nothing changes, unless `force`). `usedBy` (manifest digest → container names)
    /// replaces the store's own view (run folders) when the caller knows better: hulld
    /// knows its containers by name, running or not.
    @discardableResult
    public func remove(_ text: String, force: Bool = false, usedBy: [Digest: [String]]? = nil) throws -> [RemovalEvent] {
        try withLock(.exclusive) {
            var index = try readIndex()
            let match = try lookup(text, in: index)
            let digest = match.descriptor.digest
            let byName = match.name != nil && (try? ImageReference(parsing: text))?.digest == nil
            let removed = index.manifests.filter { byName ? Self.entryName($0) == match.name : $0.digest == digest }
            let remaining = index.manifests.filter { byName ? Self.entryName($0) != match.name : $0.digest != digest }
            let lastReference = !remaining.contains { $0.digest == digest }
            if lastReference, !force {
                let users = (usedBy ?? usage.current())[digest] ?? []
                if !users.isEmpty { throw ImageError.imageInUse(match.name?.familiar ?? digest.short, runs: users.sorted()) }
            }
            index.manifests = remaining
            try writeIndex(index)
            var events = removed.compactMap(Self.entryName).map(RemovalEvent.untagged)
            if lastReference {
                events.append(.deleted(digest))
                collectGarbage(index)
            }
            return events
        }
    }

    /// Gives the image `source` names the tag `target` too (moving `target` if it existed).
    public func tag(_ source: String, as target: String) throws {
        let ref = try ImageReference(parsing: target)
        guard ref.digest == nil else { throw ImageError.badReference(target, "a tag cannot contain a digest") }
        try withLock(.exclusive) {
            var index = try readIndex()
            let match = try lookup(source, in: index)
            var entry = match.descriptor
            // The new tag keeps where the image came from (for cross-repository mounts), not
            // the built-in marker, which belongs to busybox:latest alone.
            var annotations = [OCIAnnotation.refName: ref.withDefaultTag.string]
            annotations[OCIAnnotation.hullSource] = entry.annotations?[OCIAnnotation.hullSource]
            entry.annotations = annotations
            index.manifests.removeAll { Self.entryName($0) == ref.withDefaultTag }
            index.manifests.append(entry)
            try writeIndex(index)
            collectGarbage(index)
        }
    }

    /// What the store holds and what `garbageCollect` would free now (`hull system df`).
    public func diskUsage() throws -> StoreUsage {
        try withLock(.shared) {
            let index = try readIndex()
            let plan = ImageGC(blobs: blobs, caches: [disks, trees]).plan(index: index, inUse: Set(usage.current().keys))
            var result = StoreUsage()
            result.images = index.manifests.count
            result.blobBytes = blobs.all().reduce(0) { $0 + (blobs.size($1) ?? 0) }
            for cache in [disks, trees] {
                for digest in cache.all() {
                    result.cachedDisks += 1
                    result.cachedDiskBytes += OCILayoutSource.fileSize(cache.path(for: digest)) ?? 0
                }
            }
            result.reclaimableBlobBytes = plan.removedBlobs.reduce(0) { $0 + (blobs.size($1) ?? 0) }
            result.reclaimableDiskBytes = plan.freedBytes - result.reclaimableBlobBytes
            return result
        }
    }

    /// Deletes blobs no tag leads to and cached disks of images that are gone.
    @discardableResult
    public func garbageCollect() throws -> GCReport {
        try withLock(.exclusive) { collectGarbage(try readIndex()) }
    }


    /// Stores planned images and points their tags at them, under the exclusive lock.
    func commit(_ plans: [PlannedImage], annotations: [String: String] = [:]) throws -> [LoadedImage] {
        var added: [Digest] = []
        do {
            for plan in plans {
                for layer in plan.layers {
                    let result = layer.verified
                        ? try blobs.adopt(layer.source, digest: layer.digest, size: layer.size, what: layer.what)
                        : try blobs.ingest(layer.source, expected: layer.digest, expectedSize: layer.size, what: layer.what)
                    if result.created { added.append(result.digest) }
                }
                let config = try blobs.write(plan.config, expected: plan.configDigest, what: "\(plan.origin): config")
                if config.created { added.append(config.digest) }
                let manifest = try blobs.write(plan.manifest, expected: plan.manifestDigest, what: "\(plan.origin): manifest")
                if manifest.created { added.append(manifest.digest) }
            }
            var index = try readIndex()
            for plan in plans {
                let entry = OCIDescriptor(mediaType: MediaType.ociManifest, digest: plan.manifestDigest, size: Int64(plan.manifest.count))
                if plan.names.isEmpty {
                    if !index.manifests.contains(where: { $0.digest == plan.manifestDigest }) { index.manifests.append(entry) }
                    continue
                }
                index.manifests.removeAll { $0.digest == plan.manifestDigest && $0.refName == nil }
                for name in plan.names {
                    var tagged = entry
                    tagged.annotations = annotations.merging([OCIAnnotation.refName: name.string]) { $1 }
                    index.manifests.removeAll { Self.entryName($0) == name }
                    index.manifests.append(tagged)
                }
            }
            try writeIndex(index)
            // Images whose tags moved to the new ones may now be unreferenced.
            collectGarbage(index)
        } catch {
            for digest in added { blobs.remove(digest) }
            RawFile.syncDirectory(blobs.directory)
            throw error
        }
        return plans.map { LoadedImage(names: $0.names, manifestDigest: $0.manifestDigest) }
    }

    @discardableResult
    func collectGarbage(_ index: OCIIndex) -> GCReport {
        let report = ImageGC(blobs: blobs, caches: [disks, trees]).collect(index: index, inUse: Set(usage.current().keys))
        if !report.removedBlobs.isEmpty || !report.removedDisks.isEmpty {
            logger.info("gc: removed \(report.removedBlobs.count) blobs and \(report.removedDisks.count) disks, \(report.freedBytes) bytes")
        }
        return report
    }
}
