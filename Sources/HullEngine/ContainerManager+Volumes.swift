import Foundation
import HullModel
import HullRuntime

/// Volumes and the mounts of containers: bind sources must exist (no silent creation, as
/// Docker's --mount), named volumes are made on first use, and a volume in use by any
/// container, running or not, is not removed.
extension ContainerManager {
    /// Checks a spec's mounts and makes the named volumes it uses.
    func prepareMounts(of spec: ContainerSpec) throws {
        do {
            try spec.checkConsistency()
        } catch {
            throw EngineError.conflict(error.description)
        }
        try checkBindSources(spec)
        for mount in spec.mounts where mount.type == .volume {
            try volumes.ensure(mount.source ?? "")
        }
    }

    func checkBindSources(_ spec: ContainerSpec) throws {
        for mount in spec.mounts where mount.type == .bind {
            let source = mount.source ?? ""
            guard FileManager.default.fileExists(atPath: source) else {
                throw EngineError.notFound("bind source path does not exist on hulld's host: \(source)")
            }
        }
    }

    /// Names of the containers whose mounts use each volume.
    func volumeUsers() -> [String: [String]] {
        var users: [String: [String]] = [:]
        for record in (try? store.all()) ?? [] {
            for mount in record.spec.mounts where mount.type == .volume {
                if let name = mount.source { users[name, default: []].append(record.name) }
            }
        }
        return users
    }

    /// A volume name from a path: the rule names follow, else 400.
    func checkVolumeName(_ name: String) throws {
        do { try InputCheck.volumeName(name) } catch { throw EngineError.invalid(error.description) }
    }

    package func volumeInfo(_ name: String, users: [String: [String]]? = nil) throws -> VolumeInfo {
        try checkVolumeName(name)
        guard let createdAt = volumes.createdAt(name) else { throw EngineError.notFound("no such volume: \(name)") }
        let usedBy = (users ?? volumeUsers())[name] ?? []
        return VolumeInfo(name: name, createdAt: createdAt, mountpoint: volumes.dataPath(name).path, usedBy: usedBy.sorted())
    }

    package func listVolumes() -> [VolumeInfo] {
        let users = volumeUsers()
        return volumes.names().compactMap { try? volumeInfo($0, users: users) }
    }

    /// Docker: creating a volume that exists answers with it.
    package func createVolume(_ request: CreateVolumeRequest) throws -> (VolumeInfo, created: Bool) {
        let name = request.name ?? ContainerID.generate().full   // 64 random hex digits, as Docker's
        let (_, created) = try volumes.ensure(name)
        return (try volumeInfo(name), created)
    }

    /// `force`: a volume that does not exist is not an error (Docker's `volume rm -f`); one
    /// in use stays refused.
    package func removeVolume(_ name: String, force: Bool) throws {
        try checkVolumeName(name)
        if force && volumes.createdAt(name) == nil { return }
        let users = volumeUsers()[name] ?? []
        guard users.isEmpty else {
            throw EngineError.conflict("volume \(name) is in use by container \(users.sorted().joined(separator: ", ")): remove the container first")
        }
        try volumes.delete(name)
        logger.info("volume removed", metadata: ["volume": "\(name)"])
    }

    /// Removes every volume no container uses.
    package func pruneVolumes() -> VolumePruneResult {
        let users = volumeUsers()
        var removed: [String] = []
        var bytes: Int64 = 0
        for name in volumes.names() where users[name] == nil {
            if let freed = try? volumes.delete(name) {
                removed.append(name)
                bytes += freed
            }
        }
        return VolumePruneResult(removed: removed, reclaimedBytes: bytes)
    }
}
