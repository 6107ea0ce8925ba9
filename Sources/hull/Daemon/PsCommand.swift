import ArgumentParser
import Foundation
import HullAPI
import HullClient
import HullRuntime

struct PsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers (running ones unless -a).")
    @OptionGroup var daemon: DaemonOptions
    @Flag(name: [.customShort("a"), .customLong("all")], help: "Show every container, exited ones too.")
    var all = false
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Only print container ids.")
    var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Do not shorten ids and commands.")
    var noTrunc = false
    @Option(name: [.customShort("f"), .customLong("filter")],
            help: ArgumentHelp("Only containers that match: isolation=vm|gvisor|process, status=STATE (created, running, exited, …), name=TEXT (part of the name). Repeat to narrow further.", valueName: "KEY=VALUE"))
    var filters: [String] = []

    func validate() throws {
        _ = try PsFilter.parse(filters)
    }

    func run() async throws {
        let filter = try PsFilter.parse(filters)
        let client = try await daemon.client()
        var path = "/v1/containers?all=\(all || filter.status != nil)"
        if let isolation = filter.isolation { path += "&isolation=\(isolation.rawValue)" }
        let containers = try await reportingErrors {
            try await client.call(.GET, path, expecting: [ContainerInfo].self)
        }.filter(filter.matches)
        if quiet {
            for c in containers { print(noTrunc ? c.id : String(c.id.prefix(12))) }
            return
        }
        var rows: [[String]] = []
        for c in containers {
            let command = c.command.joined(separator: " ")
            rows.append([noTrunc ? c.id : String(c.id.prefix(12)), c.image,
                         noTrunc ? command : String(command.prefix(20)), Ago.text(since: c.createdAt),
                         Self.status(c), c.name, c.isolation])
        }
        Table.print(header: ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "NAME", "ISOLATION"], rows: rows)
    }

    static func status(_ c: ContainerInfo) -> String {
        switch c.state {
        case .running: "Up \(Ago.duration(since: c.startedAt ?? c.createdAt))"
        case .exited: "Exited (\(c.exitCode ?? 0)) \(Ago.text(since: c.finishedAt ?? c.createdAt))"
        default: c.state.rawValue.capitalized
        }
    }
}

/// `hull ps --filter`: Docker's syntax, for the keys Hull has.
struct PsFilter {
    var isolation: IsolationMode?
    var status: ContainerState?
    var names: [String] = []

    static func parse(_ filters: [String]) throws -> PsFilter {
        var filter = PsFilter()
        for text in filters {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw ValidationError("--filter \(text): expected KEY=VALUE (isolation, status or name)")
            }
            switch parts[0] {
            case "isolation":
                do { filter.isolation = try IsolationMode.parse(parts[1], source: "--filter isolation=") } catch {
                    throw ValidationError("--filter isolation=\(parts[1]): unknown isolation mode (use vm, gvisor or process)")
                }
            case "status":
                guard let state = ContainerState(rawValue: parts[1]) else {
                    throw ValidationError("--filter status=\(parts[1]): unknown status (use \(ContainerState.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                filter.status = state
            case "name":
                filter.names.append(parts[1])
            default:
                throw ValidationError("--filter \(parts[0]): unknown filter (use isolation, status or name)")
            }
        }
        return filter
    }

    func matches(_ c: ContainerInfo) -> Bool {
        (status == nil || c.state == status) && names.allSatisfy { c.name.contains($0) }
    }
}

enum Ago {
    static func duration(since date: Date) -> String {
        let s = Int(Date().timeIntervalSince(date))
        if s < 60 { return "\(max(s, 1)) second\(s == 1 ? "" : "s")" }
        if s < 3600 { return "\(s / 60) minute\(s / 60 == 1 ? "" : "s")" }
        if s < 86400 { return "\(s / 3600) hour\(s / 3600 == 1 ? "" : "s")" }
        return "\(s / 86400) day\(s / 86400 == 1 ? "" : "s")"
    }

    static func text(since date: Date) -> String { duration(since: date) + " ago" }
}
