import Foundation
import Glibc

/// Files and folders only root may open (docs/security.md): a container's spec holds its
/// environment, so it is created 0600 from the first byte, never widened later.
public enum PrivateFile {
    /// Writes `data` to `url` (replacing it atomically), mode 0600.
    public static func write(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UUID().uuidString.prefix(8)).tmp")
        try RawFile.writeAtomically(data, to: url, temporary: temporary, mode: 0o600)
    }

    /// Creates `url` and its missing parents as folders of `mode` (0700 unless said).
    public static func createDirectory(_ url: URL, mode: Int = 0o700) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: mode])
    }
}
