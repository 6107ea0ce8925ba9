import ArgumentParser
import Foundation
import HullAPI
import HullClient

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print a container's output, kept by hulld until the container is removed.")
    @OptionGroup var daemon: DaemonOptions
    @Flag(name: [.customShort("f"), .customLong("follow")], help: "Keep printing new output until the container exits.")
    var follow = false
    @Option(name: [.customShort("n"), .customLong("tail")], help: "Only the last N lines (or \"all\").")
    var tail: String = "all"
    @Flag(name: [.customShort("t"), .customLong("timestamps")], help: "Prefix every line with its time (RFC 3339).")
    var timestamps = false
    @Argument(help: "Container name or id.") var container: String

    func validate() throws {
        if tail != "all", Int(tail).map({ $0 < 0 }) ?? true {
            throw ValidationError("--tail must be a number of lines or \"all\", not \(tail)")
        }
    }

    func run() async throws {
        let client = try await daemon.client()
        try await reportingErrors {
            // hulld takes digits or "all": "+5" goes as "5".
            let lines = tail == "all" ? "all" : Int(tail).map { String($0) } ?? tail
            let path = "/v1/containers/\(try pathComponent(container))/logs?follow=\(follow)&timestamps=\(timestamps)&tail=\(lines)"
            for try await frame in try await client.output(path) {
                FrameOutput.write(frame)
            }
        }
    }
}

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show containers' details as JSON.")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "Container names or ids.") var containers: [String]

    func run() async throws {
        let client = try await daemon.client()
        var all: [Any] = []
        try await reportingErrors {
            for c in containers {
                let data = try await client.call(.GET, "/v1/containers/\(try pathComponent(c))")
                all.append(try JSONSerialization.jsonObject(with: data))
            }
        }
        let out = try JSONSerialization.data(withJSONObject: all, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: out, as: UTF8.self))
    }
}
