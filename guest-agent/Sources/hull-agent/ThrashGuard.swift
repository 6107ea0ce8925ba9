import Glibc

/// The kernel's OOM killer for a cgroup acts only when reclaim frees nothing. A container
/// at its memory limit whose own program text is still in the page cache never gets
/// there: reclaim evicts that text, the program faults it back in, and the container
/// thrashes instead of dying. Measured in a TCG guest (`-m 128m`, `head -c 600m
/// /dev/zero | tail`): no OOM kill after 90 s, `head` running with 64 KiB resident.
/// This guard does what systemd-oomd does on hosts: a PSI trigger on the container's
/// memory.pressure fires when all its tasks stall on memory for half of a 2 s window,
/// and if the cgroup is at its limit then, its largest process gets SIGKILL — counted as
/// an OOM kill (`GuestCgroup.oomKills`), as the kernel's would be.
enum ThrashGuard {
    /// 1 s of "full" stall in a 2 s window (PSI trigger syntax, microseconds).
    static let trigger = "full 1000000 2000000"
    /// At the limit: memory.current at least this share of memory.max.
    static let nearLimit = 0.9

    static func watch(_ cgroup: GuestCgroup) {
        let file = cgroup.path + "/memory.pressure"
        let fd = open(file, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            Log.info("no thrash guard for the container: \(SystemError("open \(file)"))")
            return
        }
        var text = trigger
        guard text.withUTF8({ FileIO.writeAll(fd, UnsafeRawBufferPointer($0)) }) == 0 else {
            Log.info("no thrash guard for the container: \(SystemError("PSI trigger on \(file)"))")
            close(fd)
            return
        }
        do {
            // One container per guest: the thread lasts as long as the guest.
            try Threads.start("thrash-guard") { run(cgroup, fd) }
        } catch {
            Log.info("no thrash guard for the container: \(error)")
            close(fd)
        }
    }

    private static func run(_ cgroup: GuestCgroup, _ fd: Int32) {
        while true {
            var event = pollfd(fd: fd, events: Int16(POLLPRI), revents: 0)
            let n = poll(&event, 1, -1)
            if n < 0 && errno == EINTR { continue }
            guard n > 0, event.revents & Int16(POLLPRI) != 0 else {
                Log.info("thrash guard stops: \(n < 0 ? "\(SystemError("poll"))" : "the cgroup is gone")")
                close(fd)
                return
            }
            guard let current = cgroup.value("memory.current"), let limit = cgroup.value("memory.max"),
                  Double(current) >= Double(limit) * nearLimit, let victim = largestProcess(of: cgroup) else { continue }
            if kill(victim.pid, SIGKILL) == 0 {
                cgroup.agentKills.add(1, ordering: .relaxed)
                Log.info("the container thrashed at its memory limit (\(current) of \(limit) bytes): killed pid \(victim.pid), \(victim.residentPages) pages resident")
            }
            usleep(500_000)   // let the memory go before looking again
        }
    }

    /// The process of the cgroup with the most resident pages (/proc/PID/statm).
    static func largestProcess(of cgroup: GuestCgroup) -> (pid: pid_t, residentPages: UInt64)? {
        guard let bytes = FileIO.readFile(cgroup.path + "/cgroup.procs", limit: 1 << 20) else { return nil }
        var best: (pid: pid_t, residentPages: UInt64)?
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            guard let pid = pid_t(line), let statm = FileIO.readFile("/proc/\(pid)/statm", limit: 256) else { continue }
            let fields = String(decoding: statm, as: UTF8.self).split(separator: " ")
            guard fields.count > 1, let resident = UInt64(fields[1]) else { continue }
            if resident > (best?.residentPages ?? 0) { best = (pid, resident) }
        }
        return best
    }
}
