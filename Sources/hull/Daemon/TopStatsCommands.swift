import ArgumentParser
import Foundation
import HullAPI
import HullClient

struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top", abstract: "Show the processes in a container's guest (the agent, the container and its execs).")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "Container name or id.") var container: String

    func run() async throws {
        let client = try await daemon.client()
        let top = try await reportingErrors {
            try await client.call(.GET, "/v1/containers/\(try pathComponent(container))/top", expecting: TopResult.self)
        }
        Table.print(header: top.titles, rows: top.processes.map { row in
            row.count == top.titles.count ? row : row + Array(repeating: "", count: max(0, top.titles.count - row.count))
        })
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Show what running containers use (one sample): CPU on the host, memory and tasks in their own cgroup against its limits, the memory their own kernel counts, network bytes received / sent, and the host memory they cost.")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "Container names or ids (default: every running one).") var containers: [String] = []

    func run() async throws {
        let client = try await daemon.client()
        var rows: [[String]] = []
        try await reportingErrors {
            var names = containers
            if names.isEmpty {
                names = try await client.call(.GET, "/v1/containers", expecting: [ContainerInfo].self).map(\.name)
            }
            for name in names {
                let s = try await client.call(.GET, "/v1/containers/\(try pathComponent(name))/stats", expecting: StatsResult.self)
                let limit = { (n: UInt64?) in n.map(Bytes.text) ?? "unlimited" }
                rows.append([name, String(format: "%.1f%%", s.cpuPercent), "\(s.vcpus)",
                             s.memoryUsageBytes.map { "\(Bytes.text($0)) / \(limit(s.memoryLimitBytes))" } ?? "-",
                             s.pids.map { "\($0)" + (s.pidsLimit.map { " / \($0)" } ?? "") } ?? "-",
                             s.guestMemoryUsedBytes.flatMap { used in s.guestMemoryTotalBytes.map { "\(Bytes.text(used)) / \(Bytes.text($0))" } } ?? "-",
                             s.networkReceivedBytes.flatMap { rx in s.networkSentBytes.map { "\(Bytes.text(rx)) / \(Bytes.text($0))" } } ?? "-",
                             Bytes.text(s.hostMemoryBytes)])
            }
        }
        Table.print(header: ["NAME", "CPU", "CPUS", "MEM USAGE / LIMIT", "PIDS", "OWN KERNEL MEM USED / TOTAL", "NET I/O", "HOST RSS"], rows: rows)
    }
}

enum Bytes {
    static func text(_ n: UInt64) -> String {
        let mib = Double(n) / 1_048_576
        return mib >= 1024 ? String(format: "%.2fGiB", mib / 1024) : String(format: "%.1fMiB", mib)
    }
}
