import HullProtocol

/// Who the container's process runs as: the spec's numeric `process.user`, or the
/// `org.hull.user` annotation resolved against the image's accounts with Docker's (runc's)
/// rules.
struct ContainerUser: Equatable {
    var uid: UInt32
    var gid: UInt32
    var additionalGids: [UInt32]
    /// The passwd entry's home, for HOME when the environment has none; "/" without one.
    var home: String

    /// The user `plan` asks for: the annotation resolved, or the numeric user; then the
    /// spec's additionalGids after the image's supplementary groups.
    static func of(_ plan: ContainerPlan, in accounts: ImageAccounts) throws(AgentError) -> ContainerUser {
        var user = try plan.userName.map { name throws(AgentError) in try resolve(name, in: accounts) }
            ?? numeric(plan.numericUser, in: accounts)
        var groups: [UInt32] = []
        for gid in user.additionalGids + (plan.numericUser.additionalGids ?? []) where !groups.contains(gid) {
            groups.append(gid)
        }
        user.additionalGids = groups
        return user
    }

    /// "name", "uid", "name:group", "uid:group", "name:gid", "uid:gid". Supplementary
    /// groups (the groups listing the user) only come with the implicit group, as in runc.
    static func resolve(_ spec: String, in accounts: ImageAccounts) throws(AgentError) -> ContainerUser {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0]
        let groupPart = parts.count > 1 ? parts[1] : ""
        guard !userPart.isEmpty else { throw AgentError("invalid user \"\(spec)\": no user name or uid") }

        let numericUID = UInt32(userPart)
        let entry = accounts.users.first { candidate in
            numericUID.map { candidate.uid == $0 } ?? (candidate.name == userPart)
        }
        var user = ContainerUser(uid: 0, gid: 0, additionalGids: [], home: "/")
        if let entry {
            user = ContainerUser(uid: entry.uid, gid: entry.gid, additionalGids: [], home: entry.home.isEmpty ? "/" : entry.home)
        } else if let numericUID {
            user.uid = numericUID
        } else {
            throw AgentError("unable to find user \(userPart): no matching entries in passwd file")
        }

        if groupPart.isEmpty {
            if let entry {
                user.additionalGids = accounts.groups.filter { $0.members.contains(entry.name) }.map(\.gid)
            }
        } else {
            let numericGID = UInt32(groupPart)
            let match = accounts.groups.first { candidate in
                numericGID.map { candidate.gid == $0 } ?? (candidate.name == groupPart)
            }
            if let group = match {
                user.gid = group.gid
            } else if let numericGID {
                user.gid = numericGID
            } else {
                throw AgentError("unable to find group \(groupPart): no matching entries in group file")
            }
        }
        return user
    }

    /// The spec's numeric user; HOME comes from the image's entry for the uid, if any.
    static func numeric(_ user: RuntimeSpec.User, in accounts: ImageAccounts) -> ContainerUser {
        let home = accounts.users.first { $0.uid == user.uid }?.home
        return ContainerUser(uid: user.uid, gid: user.gid, additionalGids: [],
                             home: home.flatMap { $0.isEmpty ? nil : $0 } ?? "/")
    }
}
