import ArgumentParser
import Foundation
import HullAPI
import HullClient
import NIOHTTP1

struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start created or exited containers (boots their guests).")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "Container names or ids.") var containers: [String]

    func run() async throws {
        try await forEach(containers, daemon: daemon, .POST, "start")
    }
}

struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop running containers: SIGTERM, then SIGKILL after the timeout, then the guest is shut down.")
    @OptionGroup var daemon: DaemonOptions
    @Option(name: [.customShort("t"), .customLong("time")], help: "Seconds to wait before killing (default: the container's --stop-timeout, else 10).")
    var time: Double?
    @Argument(help: "Container names or ids.") var containers: [String]

    func validate() throws {
        try checkStopTime(time)
    }

    func run() async throws {
        try await forEach(containers, daemon: daemon, .POST, "stop" + (time.map { "?timeout=\($0)" } ?? ""))
    }
}

struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Stop, then start containers again (file changes are kept).")
    @OptionGroup var daemon: DaemonOptions
    @Option(name: [.customShort("t"), .customLong("time")], help: "Seconds to wait for the stop before killing.")
    var time: Double?
    @Argument(help: "Container names or ids.") var containers: [String]

    func validate() throws {
        try checkStopTime(time)
    }

    func run() async throws {
        try await forEach(containers, daemon: daemon, .POST, "restart" + (time.map { "?timeout=\($0)" } ?? ""))
    }
}

struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal to containers' main processes.")
    @OptionGroup var daemon: DaemonOptions
    @Option(name: [.customShort("s"), .customLong("signal")], help: "Signal name or number.")
    var signal: String = "KILL"
    @Argument(help: "Container names or ids.") var containers: [String]

    func run() async throws {
        let client = try await daemon.client()
        // Any case, as Docker takes it; hulld's API takes one case.
        let name = signal.uppercased()
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
        try await reportingErrors {
            for c in containers {
                _ = try await client.call(.POST, "/v1/containers/\(try pathComponent(c))/kill?signal=\(encoded)")
                print(c)
            }
        }
    }
}

struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove containers with their logs and disks.")
    @OptionGroup var daemon: DaemonOptions
    @Flag(name: [.customShort("f"), .customLong("force")], help: "Remove running containers too (their guests are destroyed).")
    var force = false
    @Argument(help: "Container names or ids.") var containers: [String]

    func run() async throws {
        let client = try await daemon.client()
        try await reportingErrors {
            for c in containers {
                _ = try await client.call(.DELETE, "/v1/containers/\(try pathComponent(c))?force=\(force)")
                print(c)
            }
        }
    }
}

struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait", abstract: "Wait until containers exit and print their exit codes.")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "Container names or ids.") var containers: [String]

    func run() async throws {
        let client = try await daemon.client()
        try await reportingErrors {
            for c in containers {
                let result = try await client.call(.POST, "/v1/containers/\(try pathComponent(c))/wait",
                                                   expecting: WaitResult.self, timeout: DaemonClient.forever)
                print(result.exitCode)
            }
        }
    }
}

/// One call per container, printing each name as it succeeds (docker's stop/start/… output).
func forEach(_ containers: [String], daemon: DaemonOptions, _ method: HTTPMethod, _ action: String) async throws {
    let client = try await daemon.client()
    try await reportingErrors {
        for c in containers {
            _ = try await client.call(method, "/v1/containers/\(try pathComponent(c))/\(action)")
            print(c)
        }
    }
}

/// `-t/--time` of stop and restart: the limits of hulld's `timeout` (InputLimits).
private func checkStopTime(_ time: Double?) throws {
    guard let time else { return }
    do {
        try InputCheck.seconds(time, field: "--time", limit: InputLimits.maxStopSeconds)
    } catch {
        throw ValidationError(error.description)
    }
}
