/// execvp's search, split in two: the agent lists the candidates here, the child tries
/// them after it entered the container's root, so PATH is resolved inside that root.
enum ExecutableSearch {
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The paths to try for `name`: itself when it contains a slash, else each PATH entry
    /// (the process's PATH from `environment`, an empty entry meaning the working
    /// directory) joined with it.
    static func candidates(for name: String, environment: [String]) -> [String] {
        if name.contains("/") || name.isEmpty {
            return [name]
        }
        let path = environment.first(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) }
            ?? defaultPath
        return path.split(separator: ":", omittingEmptySubsequences: false).map { entry in
            if entry.isEmpty { return name }
            return entry.hasSuffix("/") ? "\(entry)\(name)" : "\(entry)/\(name)"
        }
    }
}
