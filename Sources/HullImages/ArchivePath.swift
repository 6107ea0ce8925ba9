import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Paths inside an extracted archive. The archive is untrusted: a name it gives, after
/// symlinks are followed, must still lie inside the folder it was extracted to.
enum ArchivePath {
    static func checkInside(_ path: URL, root: URL) throws {
        guard let base = real(root.path) else { throw ImageError.unsafeArchivePath(path.path) }
        // A missing file is judged by its folder; reading it fails later with a clear error.
        let full = real(path.path) ?? real(path.deletingLastPathComponent().path).map { $0 + "/" + path.lastPathComponent }
        guard let full, full == base || full.hasPrefix(base == "/" ? "/" : base + "/") else {
            throw ImageError.unsafeArchivePath(path.path.replacingOccurrences(of: root.path + "/", with: ""))
        }
    }

    /// `relative` (as written in a docker save manifest.json) inside `root`.
    static func resolve(_ relative: String, in root: URL) throws -> URL {
        guard !relative.isEmpty, !relative.hasPrefix("/") else { throw ImageError.unsafeArchivePath(relative) }
        let url = root.appendingPathComponent(relative)
        try checkInside(url, root: root)
        return url
    }

    private static func real(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
