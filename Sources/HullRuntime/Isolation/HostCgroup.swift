import Foundation
import HullProtocol

/// A container's cgroup on the host (runc and runsc make it at `linux.cgroupsPath`), read
/// for what the runtime does not report: OOM kills, and the usage `Sandbox.cgroupUsage`
/// answers.
public struct HostCgroup: Sendable, Equatable {
    /// `linux.cgroupsPath`, e.g. `/hull/<run folder>`.
    public var path: String
    /// Where the cgroup file systems are mounted.
    public var root: String

    public init(path: String, root: String = "/sys/fs/cgroup") {
        self.path = path
        self.root = root
    }

    /// cgroup v2 only (`root` is the unified hierarchy), else v1: one hierarchy per
    /// controller under `root` (a v2 hierarchy mounted beside them, as systemd's hybrid
    /// mode does at `unified/`, holds no controllers and is not read).
    var unified: Bool { FileManager.default.fileExists(atPath: root + "/cgroup.controllers") }

    /// How often the OOM killer killed a process of this cgroup: cgroup v2's
    /// `memory.events`, else v1's `memory.oom_control` (both say `oom_kill N`). nil when
    /// neither can be read (no memory controller, the cgroup gone).
    public func oomKills() -> UInt64? {
        let file = unified ? "\(root)\(path)/memory.events" : "\(root)/memory\(path)/memory.oom_control"
        return HostFile.read(file).flatMap { HostCgroup.counter("oom_kill", in: $0) }
    }

    /// The cgroup's usage and limits now (v2: `memory.current`, `memory.max`,
    /// `pids.current`, `pids.max`, `cpu.stat`; v1: their counterparts in the memory, pids
    /// and cpuacct hierarchies). nil when the cgroup does not exist: not made yet, or
    /// removed (`runc delete`), also while it was being read.
    public func usage() throws(CgroupUsageError) -> CgroupUsage? {
        let unified = self.unified
        // The memory controller's directory stands for the cgroup (v1 has one per controller).
        let directory = unified ? root + path : "\(root)/memory\(path)"
        guard FileManager.default.fileExists(atPath: directory) else { return nil }
        do throws(CgroupUsageError) {
            if unified {
                let files = CgroupFiles(memoryCurrent: try read("memory.current", in: ""), memoryMax: try read("memory.max", in: ""),
                                        pidsCurrent: try read("pids.current", in: ""), pidsMax: try read("pids.max", in: ""),
                                        cpuStat: try read("cpu.stat", in: ""))
                return try CgroupUsage.parse(files)
            }
            return try CgroupUsage.parseV1(memoryUsage: try read("memory.usage_in_bytes", in: "memory"),
                                           memoryLimit: try read("memory.limit_in_bytes", in: "memory"),
                                           pidsCurrent: try read("pids.current", in: "pids"),
                                           pidsMax: try read("pids.max", in: "pids"),
                                           cpuacctUsage: try read("cpuacct.usage", in: "cpuacct"))
        } catch .unreadable where !FileManager.default.fileExists(atPath: directory) {
            return nil
        }
    }

    /// One of the cgroup's files, in the v1 hierarchy `controller` ("" for v2), read up to
    /// one byte past what a reading accepts (so an overlong file is refused, not cut).
    private func read(_ name: String, in controller: String) throws(CgroupUsageError) -> String {
        let file = controller.isEmpty ? "\(root)\(path)/\(name)" : "\(root)/\(controller)\(path)/\(name)"
        guard let text = HostFile.read(file, limit: CgroupUsage.maxFileBytes + 1) else { throw .unreadable(file: file) }
        return text
    }

    /// The most lines of a flat-keyed file looked at (`cpu.stat` has 6 to 9, `memory.events` 6).
    static let maxLines = 64

    /// The value of `key` in a flat-keyed cgroup file ("key value" lines), a decimal
    /// number (`CgroupUsage.decimal`); nil if absent or not a number.
    public static func counter(_ key: String, in text: String) -> UInt64? {
        for line in text.split(separator: "\n").prefix(maxLines) {
            let words = line.split(separator: " ")
            if words.count == 2, words[0] == key { return CgroupUsage.decimal(words[1]) }
        }
        return nil
    }
}
