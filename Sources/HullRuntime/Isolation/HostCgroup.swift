import Foundation

/// A container's cgroup on the host (runc and runsc make it at `linux.cgroupsPath`), read
/// for what the runtime does not report: OOM kills.
public struct HostCgroup: Sendable, Equatable {
    /// `linux.cgroupsPath`, e.g. `/hull/<run folder>`.
    public var path: String
    /// Where the cgroup file systems are mounted.
    public var root: String

    public init(path: String, root: String = "/sys/fs/cgroup") {
        self.path = path
        self.root = root
    }

    /// How often the OOM killer killed a process of this cgroup: cgroup v2's
    /// `memory.events`, else v1's `memory.oom_control` (both say `oom_kill N`). nil when
    /// neither can be read (no memory controller, the cgroup gone).
    public func oomKills() -> UInt64? {
        let unified = FileManager.default.fileExists(atPath: root + "/cgroup.controllers")
        let file = unified ? "\(root)\(path)/memory.events" : "\(root)/memory\(path)/memory.oom_control"
        return HostFile.read(file).flatMap { HostCgroup.counter("oom_kill", in: $0) }
    }

    /// The value of `key` in a flat-keyed cgroup file ("key value" lines); nil if absent.
    public static func counter(_ key: String, in text: String) -> UInt64? {
        for line in text.split(separator: "\n").prefix(64) {
            let words = line.split(separator: " ", maxSplits: 1)
            if words.count == 2, words[0] == key { return UInt64(words[1].trimmingCharacters(in: .whitespaces)) }
        }
        return nil
    }
}
