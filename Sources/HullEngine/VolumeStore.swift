import Foundation
import HullModel
import HullImages
import Synchronization

/// Named volumes on hulld's host: `$HULL_HOME/volumes/NAME/_data` holds what containers
/// see (Docker's layout), `volume.json` when it was made. Folders above `_data` are
/// root's only (0700, docs/security.md); `_data` itself is 0755 like Docker's, and its
/// contents keep whatever owners and modes containers give them.
final class VolumeStore: Sendable {
    let root: URL
    /// Creations and removals one at a time (two first uses of one name make it once).
    private let lock = Mutex(())

    private struct Metadata: Codable {
        var name: String
        var createdAt: Date
    }

    init(root: URL) {
        self.root = root
    }

    func dataPath(_ name: String) -> URL {
        root.appendingPathComponent(name).appendingPathComponent("_data")
    }

    /// The volume, made now when it does not exist (`created` says which).
    @discardableResult
    func ensure(_ name: String) throws -> (createdAt: Date, created: Bool) {
        do {
            try InputCheck.volumeName(name)
        } catch {
            throw EngineError.invalid(error.description)
        }
        return try lock.withLock { _ in
            if let existing = metadata(name) { return (existing.createdAt, false) }
            let folder = root.appendingPathComponent(name)
            try PrivateFile.createDirectory(root)
            try PrivateFile.createDirectory(folder)
            try FileManager.default.createDirectory(at: dataPath(name), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
            // Whole seconds: what volume.json keeps (ISO 8601) is what every answer says.
            let meta = Metadata(name: name, createdAt: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            try PrivateFile.write(try encoder.encode(meta), to: folder.appendingPathComponent("volume.json"))
            return (meta.createdAt, true)
        }
    }

    /// When the volume was made, or nil when there is none of that name.
    package func createdAt(_ name: String) -> Date? { metadata(name)?.createdAt }

    private func metadata(_ name: String) -> Metadata? {
        guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(name).appendingPathComponent("volume.json").path) else {
            return nil
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(Metadata.self, from: data)
    }

    /// Every volume's name, sorted.
    func names() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return entries.filter { metadata($0) != nil }.sorted()
    }

    /// Deletes the volume and its data; returns the bytes it held.
    @discardableResult
    func delete(_ name: String) throws -> Int64 {
        try lock.withLock { _ in
            guard metadata(name) != nil else { throw EngineError.notFound("no such volume: \(name)") }
            let folder = root.appendingPathComponent(name)
            let bytes = FolderSize.bytes(dataPath(name))
            try FileManager.default.removeItem(at: folder)
            return bytes
        }
    }
}

/// Bytes of the regular files under a folder (symbolic links not followed).
enum FolderSize {
    static func bytes(_ url: URL) -> Int64 {
        guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey],
                                                          options: [], errorHandler: { _, _ in true }) else { return 0 }
        var total: Int64 = 0
        for case let file as URL in walker {
            let values = try? file.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
            if values?.isRegularFile == true { total += Int64(values?.fileSize ?? 0) }
        }
        return total
    }
}
