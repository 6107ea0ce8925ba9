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
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        let fields = parseStatus(status)
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
