import Foundation
import HullModel
import HullImages
import HullRuntime

/// `hull system df` and `hull system prune`: what hulld keeps on disk, and removing what
/// nothing uses (containers that are not running, blobs and disks no image needs, and,
/// when asked, volumes no container uses).
extension ContainerManager {
    package func diskUsage() throws -> SystemDiskUsage {
        let store = ImageStore(home: paths.home, logger: logger)
        let images = try store.diskUsage()
        let inUse = ImageUsage(runs: paths.runs).current().count

        var containers = UsageRow(count: 0, active: 0, bytes: 0, reclaimableBytes: 0)
        for record in try self.store.all() {
            let bytes = containerBytes(record)
            let running = [.running, .starting, .stopping].contains(record.state)
            containers.count += 1
            containers.bytes += bytes
            if running { containers.active += 1 } else { containers.reclaimableBytes += bytes }
        }

        for folder in orphanRunFolders() {
            let bytes = FolderSize.bytes(folder)
            containers.bytes += bytes
            containers.reclaimableBytes += bytes
        }

        var volumeRow = UsageRow(count: 0, active: 0, bytes: 0, reclaimableBytes: 0)
        let users = volumeUsers()
        for name in volumes.names() {
            let bytes = FolderSize.bytes(volumes.dataPath(name))
            volumeRow.count += 1
            volumeRow.bytes += bytes
            if users[name] != nil { volumeRow.active += 1 } else { volumeRow.reclaimableBytes += bytes }
        }

        return SystemDiskUsage(
            images: UsageRow(count: images.images, active: inUse, bytes: images.blobBytes,
                             reclaimableBytes: images.reclaimableBlobBytes),
            containers: containers, volumes: volumeRow,
            disks: UsageRow(count: images.cachedDisks, active: inUse, bytes: images.cachedDiskBytes,
                            reclaimableBytes: images.reclaimableDiskBytes))
    }

    /// A container's logs and run folder (bundle, overlay or copied tree).
    func containerBytes(_ record: ContainerRecord) -> Int64 {
        FolderSize.bytes(containerDirectory(record.id)) + FolderSize.bytes(paths.runDirectory(id: String(record.id.prefix(12))))
    }

    /// Run folders no container record owns, no process uses and nobody touched for five
    /// minutes: what a `hull run` that died before hulld ran every container left behind
    /// (`hull bench`/`probe` make short-lived ones of their own: the age spares those).
    func orphanRunFolders() -> [URL] {
        let owned = Set(((try? store.all()) ?? []).map { String($0.id.prefix(12)) })
        let names = (try? FileManager.default.contentsOfDirectory(atPath: paths.runs.path)) ?? []
        let settled = Date().addingTimeInterval(-300)
        let orphans = names.filter { !owned.contains($0) }.map { paths.runs.appendingPathComponent($0) }.filter { folder in
            let modified = (try? FileManager.default.attributesOfItem(atPath: folder.path)[.modificationDate] as? Date) ?? Date()
            return modified < settled
        }
        guard !orphans.isEmpty else { return [] }
        let commandLines = HostProcesses.all().map(\.commandLine)
        return orphans.filter { folder in !commandLines.contains { $0.contains(folder.path) } }
    }

    package func prune(volumes pruneVolumes: Bool) async throws -> SystemPruneResult {
        var removed: [String] = []
        var bytes: Int64 = 0
        for folder in orphanRunFolders() {
            WritableLayer(directory: folder).unmount()
            bytes += FolderSize.bytes(folder)
            try? FileManager.default.removeItem(at: folder)
            logger.info("removed an orphan run folder", metadata: ["folder": "\(folder.lastPathComponent)"])
        }
        for record in try store.all() where record.state == .exited || record.state == .created {
            let size = containerBytes(record)
            // One that started meanwhile is refused (409) and kept.
            if (try? await remove(record.id, force: false)) != nil {
                removed.append(record.name)
                bytes += size
            }
        }
        let gc = try ImageStore(home: paths.home, logger: logger).garbageCollect()
        bytes += gc.freedBytes
        var volumeNames: [String] = []
        if pruneVolumes {
            let result = self.pruneVolumes()
            volumeNames = result.removed
            bytes += result.reclaimedBytes
        }
        logger.info("pruned", metadata: ["containers": "\(removed.count)", "volumes": "\(volumeNames.count)", "bytes": "\(bytes)"])
        return SystemPruneResult(containers: removed, volumes: volumeNames, imageBlobs: gc.removedBlobs.count,
                                 disks: gc.removedDisks.count, reclaimedBytes: bytes)
    }
}
