import Glibc
import HullProtocol
import Synchronization

/// The container's cgroup (v2) in the guest: `linux.resources` of its runtime spec as
/// memory.max, memory.swap.max, pids.max and cpu.max. The container's process moves
/// itself in before it runs anything (container.c), and so does every exec; when the
/// container exits its `memory.events` says whether the OOM killer struck. The agent
/// itself stays in the root cgroup, outside every limit, so a container that runs out of
/// memory loses a process of its own and the agent keeps answering.
final class GuestCgroup: Sendable {
    static let root = "/sys/fs/cgroup"
    /// What the container's cgroups may limit (enabled in the root's subtree_control).
    static let controllers = ["memory", "pids", "cpu"]

    let path: String
    /// cgroup.procs, open for writing, for the children to join (close-on-exec).
    let procs: Int32
    /// Processes the agent killed because the container thrashed at its memory limit
    /// (ThrashGuard), on top of the kernel's own OOM kills.
    let agentKills = Atomic<UInt64>(0)

    private init(path: String, procs: Int32) {
        self.path = path
        self.procs = procs
    }

    deinit { close(procs) }

    /// At boot, after /sys: the one cgroup2 hierarchy at /sys/fs/cgroup with the
    /// controllers handed down to children. Failures are logged; a container with limits
    /// then fails to start with the reason.
    ///
    /// Memory is overcommitted as on a Docker host with plenty of RAM: the container's
    /// limit is its cgroup's, not the guest's size. With the kernel's default heuristic a
    /// 600 MB allocation in a `-m 256m` guest failed with ENOMEM (exit 1) instead of
    /// meeting the limit (OOM kill, 137, as under runc).
    static func setUp() {
        if let error = write("1", to: "/proc/sys/vm/overcommit_memory") {
            Log.info("vm.overcommit_memory=1: \(error)")
        }
        if mount("cgroup2", root, "cgroup2", UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), nil) != 0 && errno != EBUSY {
            Log.info("\(SystemError("mount cgroup2 on \(root)"))")
            return
        }
        let wanted = controllers.map { "+" + $0 }.joined(separator: " ")
        if let error = write(wanted, to: root + "/cgroup.subtree_control") {
            Log.info("enabling the cgroup controllers \(wanted): \(error)")
        }
    }

    /// Memory the agent keeps for itself (threads, pipes, frames) beside a container that
    /// has no limit of its own.
    static let agentReserveBytes: Int64 = 32 << 20

    /// A new cgroup for the container on `stream`, with the spec's limits written. A
    /// container without `-m` is still held below the guest's available memory minus the
    /// agent's reserve: the guest's size is its limit, and it meets it in its own cgroup
    /// (an OOM kill, reported) instead of starving the agent.
    static func make(stream: UInt32, resources: RuntimeSpec.Resources?) throws(AgentError) -> GuestCgroup {
        var resources = resources ?? RuntimeSpec.Resources()
        if (resources.memory?.limit ?? 0) <= 0, let available = availableBytes() {
            resources.memory = RuntimeSpec.Resources.Memory(limit: max(available - agentReserveBytes, 16 << 20))
        }
        let path = "\(root)/container-\(stream)"
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw AgentError("the container's cgroup: \(SystemError("mkdir \(path)"))")
        }
        for (file, value) in settings(resources) {
            if let error = write(value, to: "\(path)/\(file)") {
                // No swap in the guest's kernel: nothing can swap, the limit holds anyway.
                if file == "memory.swap.max" && error.code == ENOENT { continue }
                rmdir(path)
                throw AgentError("linux.resources: \(file) = \(value): \(error)")
            }
        }
        let procs = open("\(path)/cgroup.procs", O_WRONLY | O_CLOEXEC)
        guard procs >= 0 else {
            let error = SystemError("open \(path)/cgroup.procs")
            rmdir(path)
            throw AgentError("the container's cgroup: \(error)")
        }
        let cgroup = GuestCgroup(path: path, procs: procs)
        ThrashGuard.watch(cgroup)
        return cgroup
    }

    /// The cgroup v2 files and values for `linux.resources` (cgroup v1 figures in the spec:
    /// swap counts memory plus swap there).
    static func settings(_ resources: RuntimeSpec.Resources?) -> [(String, String)] {
        var settings: [(String, String)] = []
        if let memory = resources?.memory, let limit = memory.limit, limit > 0 {
            settings.append(("memory.max", "\(limit)"))
            if let swap = memory.swap {
                settings.append(("memory.swap.max", swap < 0 ? "max" : "\(max(swap - limit, 0))"))
            }
        }
        if let pids = resources?.pids, pids.limit > 0 {
            settings.append(("pids.max", "\(pids.limit)"))
        }
        if let cpu = resources?.cpu, let quota = cpu.quota, quota > 0 {
            settings.append(("cpu.max", "\(quota) \(cpu.period ?? 100_000)"))
        }
        return settings
    }

    /// MemAvailable of /proc/meminfo in bytes.
    static func availableBytes() -> Int64? {
        guard let bytes = FileIO.readFile("/proc/meminfo", limit: 16 << 10) else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let words = line.split(separator: " ")
            if words.count >= 2, let kib = Int64(words[1]), kib < 1 << 40 { return kib << 10 }
        }
        return nil
    }

    /// How often an OOM killer killed a process of this cgroup: the kernel's (`oom_kill`
    /// in memory.events) and the agent's (ThrashGuard).
    func oomKills() -> UInt64 {
        (counter("oom_kill", in: "memory.events") ?? 0) &+ agentKills.load(ordering: .relaxed)
    }

    /// `key`'s value in one of this cgroup's flat-keyed files; nil when unreadable.
    func counter(_ key: String, in file: String) -> UInt64? {
        guard let bytes = FileIO.readFile(path + "/" + file, limit: 4096) else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2, words[0] == key { return UInt64(words[1]) }
        }
        return nil
    }

    /// A one-value file of this cgroup (memory.current, memory.max) as a number; nil for
    /// "max" or when unreadable.
    func value(_ file: String) -> UInt64? {
        guard let bytes = FileIO.readFile(path + "/" + file, limit: 64) else { return nil }
        return UInt64(String(decoding: bytes, as: UTF8.self).trimmingWhitespace)
    }

    /// What the host's `cgroupUsage` asks for: this cgroup's usage files as the kernel
    /// wrote them, each cut at `CgroupFiles.maxFileBytes` (the host parses them).
    func usageFiles() throws(AgentError) -> CgroupFiles {
        func read(_ name: String) throws(AgentError) -> String {
            guard let bytes = FileIO.readFile(path + "/" + name, limit: CgroupFiles.maxFileBytes) else {
                throw AgentError("the container's cgroup: \(SystemError("read \(path)/\(name)"))")
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        return CgroupFiles(memoryCurrent: try read("memory.current"), memoryMax: try read("memory.max"),
                           pidsCurrent: try read("pids.current"), pidsMax: try read("pids.max"),
                           cpuStat: try read("cpu.stat"))
    }

    private static func write(_ value: String, to file: String) -> SystemError? {
        let fd = open(file, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return SystemError("open \(file)") }
        defer { close(fd) }
        var text = value
        let code = text.withUTF8 { FileIO.writeAll(fd, UnsafeRawBufferPointer($0)) }
        return code == 0 ? nil : SystemError("write \(file)", code: code)
    }
}
