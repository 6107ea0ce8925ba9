import CAgentSupport
import Glibc

/// The users and groups of a container image: its own /etc/passwd and /etc/group, read
/// from the mounted root filesystem with symbolic links resolved inside it. Never NSS: the
/// agent's C library knows nothing about the image.
struct ImageAccounts {
    struct User: Equatable {
        let name: String
        let uid: UInt32
        let gid: UInt32
        let home: String
    }

    struct Group: Equatable {
        let name: String
        let gid: UInt32
        let members: [String]
    }

    /// Empty when the file is missing or unreadable (as runc treats a missing file).
    var users: [User] = []
    var groups: [Group] = []

    init(users: [User], groups: [Group]) {
        self.users = users
        self.groups = groups
    }

    /// Reads the image at `root` (a directory in the guest).
    init(root: String) {
        let rootFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else {
            Log.info("\(SystemError("open \(root)")); the image's users are unknown")
            return
        }
        defer { close(rootFD) }
        users = ImageAccounts.read(rootFD, "/etc/passwd").map(ImageAccounts.parseUsers) ?? []
        groups = ImageAccounts.read(rootFD, "/etc/group").map(ImageAccounts.parseGroups) ?? []
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

    /// name:password:uid:gid:gecos:home:shell; malformed lines are skipped.
    static func parseUsers(_ text: String) -> [User] {
        records(text).compactMap { fields -> User? in
            guard fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { return nil }
            return User(name: fields[0], uid: uid, gid: gid, home: fields.count > 5 ? fields[5] : "")
        }
    }

    /// name:password:gid:member,member
    static func parseGroups(_ text: String) -> [Group] {
        records(text).compactMap { fields -> Group? in
            guard fields.count >= 3, let gid = UInt32(fields[2]) else { return nil }
            let members = fields.count > 3 ? fields[3].split(separator: ",").map { $0.trimmingWhitespace } : []
            return Group(name: fields[0], gid: gid, members: members.filter { !$0.isEmpty })
        }
    }

    private static func records(_ text: String) -> [[String]] {
        text.split(separator: "\n").compactMap { line -> [String]? in
            let trimmed = line.trimmingWhitespace
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return nil }
            return trimmed.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
    }
}
