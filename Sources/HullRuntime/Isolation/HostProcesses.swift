import Foundation

/// The host's processes as /proc shows them: parent, command line and resident memory.
public struct HostProcess: Sendable, Equatable {
    public var pid: Int32
    public var parent: Int32
    public var commandLine: String
    /// Resident set size in KiB (VmRSS).
    public var rssKiB: Int
}

public enum HostProcesses {
    public static func all() -> [HostProcess] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { Int32($0) }.compactMap(read)
    }

    static func read(_ pid: Int32) -> HostProcess? {
        statusFields(pid).map { process(pid, status: $0) }
    }

    /// The fields of /proc/PID/status, or nil when the process is gone.
    static func statusFields(_ pid: Int32) -> [String: String]? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return parseStatus(status)
    }

    static func process(_ pid: Int32, status fields: [String: String]) -> HostProcess {
        let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        return HostProcess(pid: pid, parent: Int32(fields["PPid"] ?? "") ?? 0,
                           commandLine: String(decoding: cmdline.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self),
                           rssKiB: Int(fields["VmRSS"]?.split(separator: " ").first ?? "") ?? 0)
    }

    /// "Key:\tvalue" lines of /proc/PID/status.
    static func parseStatus(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// `roots` and all their descendants.
    public static func withDescendants(of roots: [Int32], in table: [HostProcess] = all()) -> [HostProcess] {
        var found = Set(roots)
        var changed = true
        while changed {
            changed = false
            for p in table where !found.contains(p.pid) && found.contains(p.parent) {
                found.insert(p.pid)
                changed = true
            }
        }
        return table.filter { found.contains($0.pid) }
    }
}

/// What a container costs the host right now: CPU time and resident memory of its host
/// processes (QEMU; runsc's sandbox and gofer; runc's container processes) and their
/// descendants. The same measure in every isolation mode (`hull stats`).
public struct HostUsage: Sendable, Equatable {
    public var cpuNanoseconds: UInt64
    public var residentBytes: UInt64

    public static func of(_ roots: [Int32]) -> HostUsage {
        let processes = HostProcesses.withDescendants(of: roots)
        let ticks = UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
        var cpu: UInt64 = 0
        for p in processes {
            cpu &+= cpuTicks(pid: p.pid)
        }
        // Split so a long-lived, many-CPU guest (years of CPU ticks) cannot overflow.
        let nanoseconds = (cpu / ticks) &* 1_000_000_000 &+ (cpu % ticks) * 1_000_000_000 / ticks
        return HostUsage(cpuNanoseconds: nanoseconds,
                         residentBytes: processes.reduce(0) { $0 &+ UInt64(max($1.rssKiB, 0)) &* 1024 })
    }

    /// utime + stime of /proc/PID/stat (fields 14 and 15, counted after the command's
    /// closing parenthesis, which may itself contain spaces).
    static func cpuTicks(pid: Int32) -> UInt64 {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return 0 }
        return parseStat(text)
    }

    static func parseStat(_ text: String) -> UInt64 {
        guard let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After ")": state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return 0 }
        return user + system
    }
}

extension HostProcesses {
    /// `hull top` rows for host processes (host pids, as `docker top` shows them): PID,
    /// PPID, UID, STAT, VSZ and RSS in KiB, COMMAND. Processes gone meanwhile are skipped.
    public static func table(_ pids: [Int32]) -> ProcessTable {
        let rows = pids.sorted().compactMap { pid -> [String]? in
            guard let fields = statusFields(pid) else { return nil }
            let process = process(pid, status: fields)
            func first(_ key: String) -> String { fields[key]?.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? "0" }
            let command = process.commandLine.trimmingCharacters(in: .whitespaces)
            return ["\(pid)", "\(process.parent)", first("Uid"), first("State"), first("VmSize"), first("VmRSS"),
                    command.isEmpty ? "[\(fields["Name"] ?? "?")]" : command]
        }
        return ProcessTable(titles: ["PID", "PPID", "UID", "STAT", "VSZ", "RSS", "COMMAND"], rows: rows)
    }
}
