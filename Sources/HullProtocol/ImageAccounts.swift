/// The users and groups of a container image (its own /etc/passwd and /etc/group), and
/// Docker's (runc's) rules for turning `-u` into ids. Shared by the guest agent, which
/// reads the files inside the guest, and the host, which reads them from a bundle's
/// rootfs directory for runc and runsc. Never NSS: the host's accounts are not the image's.
public struct ImageAccounts: Sendable, Equatable {
    public struct User: Sendable, Equatable {
        public let name: String
        public let uid: UInt32
        public let gid: UInt32
        public let home: String
        public init(name: String, uid: UInt32, gid: UInt32, home: String) {
            self.name = name
            self.uid = uid
            self.gid = gid
            self.home = home
        }
    }

    public struct Group: Sendable, Equatable {
        public let name: String
        public let gid: UInt32
        public let members: [String]
        public init(name: String, gid: UInt32, members: [String]) {
            self.name = name
            self.gid = gid
            self.members = members
        }
    }

    /// Empty when the file is missing or unreadable (as runc treats a missing file).
    public var users: [User] = []
    public var groups: [Group] = []

    public init(users: [User], groups: [Group]) {
        self.users = users
        self.groups = groups
    }

    /// From the texts of /etc/passwd and /etc/group (nil: the file is missing).
    public init(passwd: String?, group: String?) {
        users = passwd.map(ImageAccounts.parseUsers) ?? []
        groups = group.map(ImageAccounts.parseGroups) ?? []
    }

    /// name:password:uid:gid:gecos:home:shell; malformed lines are skipped.
    public static func parseUsers(_ text: String) -> [User] {
        records(text).compactMap { fields -> User? in
            guard fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { return nil }
            return User(name: fields[0], uid: uid, gid: gid, home: fields.count > 5 ? fields[5] : "")
        }
    }

    /// name:password:gid:member,member
    public static func parseGroups(_ text: String) -> [Group] {
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

    /// Who a process runs as.
    public struct ResolvedUser: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var additionalGids: [UInt32]
        /// The passwd entry's home, for HOME when the environment has none; "/" without one.
        public var home: String
        public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32], home: String) {
            self.uid = uid
            self.gid = gid
            self.additionalGids = additionalGids
            self.home = home
        }
    }

    /// "name", "uid", "name:group", "uid:group", "name:gid", "uid:gid". Supplementary
    /// groups (the groups listing the user) only come with the implicit group, as in runc.
    /// Throws the message to show.
    public func resolve(_ spec: String) throws(UserLookupError) -> ResolvedUser {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0]
        let groupPart = parts.count > 1 ? parts[1] : ""
        guard !userPart.isEmpty else { throw UserLookupError("invalid user \"\(spec)\": no user name or uid") }

        let numericUID = UInt32(userPart)
        let entry = users.first { candidate in
            numericUID.map { candidate.uid == $0 } ?? (candidate.name == userPart)
        }
        var user = ResolvedUser(uid: 0, gid: 0, additionalGids: [], home: "/")
        if let entry {
            user = ResolvedUser(uid: entry.uid, gid: entry.gid, additionalGids: [], home: entry.home.isEmpty ? "/" : entry.home)
        } else if let numericUID {
            user.uid = numericUID
        } else {
            throw UserLookupError("unable to find user \(userPart): no matching entries in passwd file")
        }

        if groupPart.isEmpty {
            if let entry {
                user.additionalGids = groups.filter { $0.members.contains(entry.name) }.map(\.gid)
            }
        } else {
            let numericGID = UInt32(groupPart)
            let match = groups.first { candidate in
                numericGID.map { candidate.gid == $0 } ?? (candidate.name == groupPart)
            }
            if let group = match {
                user.gid = group.gid
            } else if let numericGID {
                user.gid = numericGID
            } else {
                throw UserLookupError("unable to find group \(groupPart): no matching entries in group file")
            }
        }
        return user
    }

    /// A numeric user from the spec; HOME comes from the image's entry for the uid, if any.
    public func numeric(_ user: RuntimeSpec.User) -> ResolvedUser {
        let home = users.first { $0.uid == user.uid }?.home
        return ResolvedUser(uid: user.uid, gid: user.gid, additionalGids: [],
                            home: home.flatMap { $0.isEmpty ? nil : $0 } ?? "/")
    }
}

public struct UserLookupError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
