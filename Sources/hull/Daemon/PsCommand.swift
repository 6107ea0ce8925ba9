import ArgumentParser
import Foundation
import HullAPI
import HullClient

struct PsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers (running ones unless -a).")
    @OptionGroup var daemon: DaemonOptions
    @Flag(name: [.customShort("a"), .customLong("all")], help: "Show every container, exited ones too.")
    var all = false
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Only print container ids.")
    var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Do not shorten ids and commands.")
    var noTrunc = false

    func run() async throws {
        let client = try await daemon.client()
        let containers = try await reportingErrors {
            try await client.call(.GET, "/v1/containers?all=\(all)", expecting: [ContainerInfo].self)
        }
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
