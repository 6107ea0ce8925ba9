import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The store's scratch folder, on the store's own file system so that finished files are
/// renamed into place rather than copied. Every entry's name starts with the pid of the
/// process that made it; entries of processes that no longer run are leftovers of a crash
/// and are removed whenever the store is opened for writing.
struct TempArea: Sendable {
    let root: URL

    /// A fresh path (not created) for one file or folder of this process.
    func path(_ suffix: String = "") -> URL {
        root.appendingPathComponent("\(getpid())-\(UUID().uuidString.lowercased())\(suffix)")
    }

    /// A fresh folder, removed with everything in it after `body`.
    func withDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let dir = path()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { Self.removeTree(dir) }
        return try body(dir)
    }

    func withDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
        let dir = path()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { Self.removeTree(dir) }
        return try await body(dir)
    }

    /// Removes what crashed processes left behind; returns how many entries went.
    @discardableResult
    func removeStale() -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return 0 }
        var removed = 0
        for name in names {
            if let pid = Int32(name.prefix { $0.isNumber }), pid > 0, Self.isAlive(pid) { continue }
            Self.removeTree(root.appendingPathComponent(name))
            removed += 1
        }
        return removed
    }

    func isEmpty() -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).isEmpty
    }

    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Removes a tree even where an unpacked image made folders read-only.
    static func removeTree(_ url: URL) {
        if (try? FileManager.default.removeItem(at: url)) != nil { return }
        if let walker = FileManager.default.enumerator(atPath: url.path) {
            _ = chmod(url.path, 0o700)
            while let relative = walker.nextObject() as? String {
                let full = url.appendingPathComponent(relative).path
                var st = stat()
                if lstat(full, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { _ = chmod(full, 0o700) }
            }
        }
        try? FileManager.default.removeItem(at: url)
    }
}

extension ImageStore {
    /// A scratch folder on the store's file system, removed after `body` (and after a
    /// crash, when the store is next opened for writing): where hulld keeps an uploaded
    /// archive while it loads.
    public func withScratch<T>(_ body: (URL) async throws -> T) async throws -> T {
        try await temp.withDirectory(body)
    }
}
