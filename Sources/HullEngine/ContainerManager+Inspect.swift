import Foundation
import HullModel
import HullRuntime

/// `top`, `stats` and `cp` (archives): answered from outside the container (the guest's
/// own tools beside it; the runtime's `ps` and the host's /proc), so they work whatever
/// the image holds — except `cp` under runc/runsc, which uses the image's tar.
extension ContainerManager {
    package static let archiveLimit = 256 << 20

    package func top(_ reference: String) async throws -> TopResult {
        let (_, running) = try running(reference)
        do {
            if let table = try await running.sandbox.processTable() {
                return TopResult(titles: table.titles, processes: table.rows)
            }
        } catch {
            throw EngineError.failed("listing the container's processes failed: \(error)", cause: error)
        }
        let out = try await GuestHelper(running: running).run(["ps", "-o", "pid,ppid,user,stat,vsz,rss,args"])
        guard out.status == 0 else { throw EngineError.failed("ps in the guest failed: \(out.stderr)") }
        return TopParser.parse(String(decoding: out.stdout, as: UTF8.self))
    }

    /// One sample of what the container costs the host (CPU over half a second, resident
    /// memory), the same measure in every mode, plus the memory its own kernel counts
    /// where it has one (a guest's, gVisor's).
    package func stats(_ reference: String) async throws -> StatsResult {
        let (record, running) = try running(reference)
        let pids = running.sandbox.hostProcessIDs()
        guard !pids.isEmpty else { throw EngineError.conflict("container \(record.name) has no processes on the host") }
        let first = HostUsage.of(pids)
        let start = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(500))
        let second = HostUsage.of(pids)
        let elapsed = (ContinuousClock.now - start) / .milliseconds(1) / 1000
        // A process that ended between the samples takes its ticks along: count 0, not a wrap.
        let cpuUsed = second.cpuNanoseconds >= first.cpuNanoseconds ? second.cpuNanoseconds - first.cpuNanoseconds : 0
        let cpu = Double(cpuUsed) / 1e9 / max(elapsed, 0.001) * 100
        var total: UInt64?, used: UInt64?
        if running.mode.hasOwnKernel, let meminfo = try? await GuestHelper(running: running).run(["cat", "/proc/meminfo"]),
           meminfo.status == 0 {
            let (t, available) = MeminfoParser.parse(String(decoding: meminfo.stdout, as: UTF8.self))
            if t > 0 { (total, used) = (t, t - min(t, available)) }
        }
        let cpus = record.spec.limits.cpus.map { Int($0.rounded(.up)) } ?? (running.mode == .vm ? 1 : ProcessInfo.processInfo.activeProcessorCount)
        // The container's own cgroup: what its limits count, as the container sees it.
        let usage = (try? await running.sandbox.cgroupUsage()) ?? nil
        let traffic = await network?.counters(id: record.id)
        return StatsResult(cpuPercent: (cpu * 10).rounded() / 10, vcpus: cpus, hostMemoryBytes: second.residentBytes,
                           guestMemoryTotalBytes: total, guestMemoryUsedBytes: used,
                           memoryUsageBytes: usage?.memoryCurrentBytes, memoryLimitBytes: usage?.memoryMaxBytes,
                           pids: usage?.pidsCurrent, pidsLimit: usage?.pidsMax,
                           networkReceivedBytes: traffic?.received, networkSentBytes: traffic?.transmitted)
    }

    /// A tar stream of `path` in the container (its last component as the archive's root).
    package func archive(_ reference: String, path: String) async throws -> [UInt8] {
        let (parent, name) = try ArchivePath.split(path)   // a bad request is a 400 before any lookup
        let (_, running) = try running(reference)
        let out = try await GuestHelper(running: running).run(["tar", "-cf", "-", name], cwd: parent, limit: Self.archiveLimit)
        guard out.status == 0 else {
            throw EngineError.notFound("copying \(path) out of the container failed: \(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return out.stdout
    }

    /// Unpacks a tar stream holding one entry at `path` in the container: into it when
    /// it is a directory, else as that name (Docker's `cp` rules, simplified).
    package func extract(_ reference: String, path: String, tar: [UInt8]) async throws {
        let (parent, name) = try ArchivePath.split(path)
        let (_, running) = try running(reference)
        let script = """
            d=$1
            if [ -d "$d" ]; then cd "$d" && exec tar -xf -; fi
            t=$(mktemp -d .hullcp.XXXXXX) || exit 1
            tar -xf - -C "$t" || { rm -rf "$t"; exit 1; }
            set -- "$t"/*
            if [ $# -ne 1 ] || [ ! -e "$1" ]; then rm -rf "$t"; echo "copying into $d: the archive must hold exactly one entry" >&2; exit 1; fi
            mv "$1" "$d" && rmdir "$t"
            """
        let out = try await GuestHelper(running: running).run(["sh", "-c", script, "sh", name], cwd: parent, input: tar)
        guard out.status == 0 else {
            throw EngineError.invalid("copying into \(path) failed: \(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}

enum ArchivePath {
    /// "/etc/hostname" → ("/etc", "hostname"); "/" and relative paths are refused, as is a
    /// last component "." or ".." — exactly what `pattern` (docs/openapi.yaml) admits.
    static let pattern = #"^/(.*/)?(?!\.\.?/*$)[^/]+/*$"#

    static func split(_ path: String) throws -> (parent: String, name: String) {
        guard path.hasPrefix("/") else { throw EngineError.invalid("the path in the container must be absolute: \(path)") }
        let parts = path.split(separator: "/").map(String.init)
        guard let name = parts.last, name != "..", name != "." else {
            throw EngineError.invalid("cannot copy \(path): name a file or directory below /")
        }
        return ("/" + parts.dropLast().joined(separator: "/"), name)
    }
}

enum TopParser {
    package static func parse(_ text: String) -> TopResult {
        let table = ProcessTable.parse(text)
        let (titles, processes) = (table.titles, table.rows)
        // Kernel threads (kthreadd, pid 2, and its children) are the guest kernel's own.
        let pid = titles.firstIndex(of: "PID"), ppid = titles.firstIndex(of: "PPID")
        let user = processes.filter { row in
            !(pid.map { row.indices.contains($0) && row[$0] == "2" } ?? false)
                && !(ppid.map { row.indices.contains($0) && row[$0] == "2" } ?? false)
        }
        return TopResult(titles: titles, processes: user)
    }
}

enum MeminfoParser {
    /// (MemTotal, MemAvailable) in bytes.
    package static func parse(_ text: String) -> (UInt64, UInt64) {
        var total: UInt64 = 0, available: UInt64 = 0
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kib = UInt64(fields[1]) else { continue }
            // The numbers come from inside the container (its own cat under gvisor): saturate.
            let (bytes, overflow) = kib.multipliedReportingOverflow(by: 1024)
            if fields[0] == "MemTotal:" { total = overflow ? .max : bytes }
            if fields[0] == "MemAvailable:" { available = overflow ? .max : bytes }
        }
        return (total, available)
    }
}
