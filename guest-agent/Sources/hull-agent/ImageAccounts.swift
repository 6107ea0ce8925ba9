import CAgentSupport
import Glibc
import HullProtocol

/// The image's accounts read from the mounted root filesystem, with symbolic links
/// resolved inside it; parsing and the lookup rules are HullProtocol's `ImageAccounts`.
extension ImageAccounts {
    /// Reads the image at `root` (a directory in the guest).
    init(root: String) {
        let rootFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else {
            Log.info("\(SystemError("open \(root)")); the image's users are unknown")
            self.init(users: [], groups: [])
            return
        }
        defer { close(rootFD) }
        self.init(passwd: ImageAccounts.read(rootFD, "/etc/passwd"), group: ImageAccounts.read(rootFD, "/etc/group"))
    }

    private static func read(_ rootFD: Int32, _ path: String) -> String? {
        let fd = hull_open_in_root(rootFD, path)
        guard fd >= 0 else {
            if errno != ENOENT { Log.info("\(SystemError("reading the image's \(path)"))") }
            return nil
        }
        defer { close(fd) }
        return FileIO.readAll(fd).map { String(decoding: $0, as: UTF8.self) }
    }
}
