import HullProtocol

/// Who the container's process runs as: the spec's numeric `process.user`, or the
/// `org.hull.user` annotation resolved against the image's accounts with Docker's (runc's)
/// rules (HullProtocol's `ImageAccounts.resolve`).
typealias ContainerUser = ImageAccounts.ResolvedUser

extension ImageAccounts.ResolvedUser {
    /// The user `plan` asks for: the annotation resolved, or the numeric user; then the
    /// spec's additionalGids after the image's supplementary groups.
    static func of(_ plan: ContainerPlan, in accounts: ImageAccounts) throws(AgentError) -> ContainerUser {
        var user: ContainerUser
        if let name = plan.userName {
            do {
                user = try accounts.resolve(name)
            } catch {
                throw AgentError(error.description)
            }
        } else {
            user = accounts.numeric(plan.numericUser)
        }
        var groups: [UInt32] = []
        for gid in user.additionalGids + (plan.numericUser.additionalGids ?? []) where !groups.contains(gid) {
            groups.append(gid)
        }
        user.additionalGids = groups
        return user
    }
}
