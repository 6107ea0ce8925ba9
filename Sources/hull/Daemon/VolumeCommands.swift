import ArgumentParser
import Foundation
import HullAPI
import HullClient

/// `hull volume create|ls|inspect|rm|prune`: named volumes, kept by hulld under
/// $HULL_HOME/volumes and mounted with `-v NAME:/path` or `--mount type=volume,…`.
struct VolumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume",
        abstract: "Manage named volumes: data that outlives containers, in every isolation mode.",
        discussion: """
            A named volume is a folder hulld keeps ($HULL_HOME/volumes/NAME/_data). `hull run \
            -v NAME:/path` makes it on first use; it survives the container, and a volume a \
            container uses (running or not) cannot be removed.

            Examples:
              hull volume create cache
              hull run --rm -v cache:/cache busybox sh -c 'date >> /cache/log'
              hull volume ls
              hull volume rm cache
            """,
        subcommands: [VolumeCreate.self, VolumeList.self, VolumeInspect.self, VolumeRemove.self, VolumePrune.self])
}

struct VolumeCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a volume and print its name (one that exists is kept as it is).")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The volume's name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64 characters); none makes one up.")
    var name: String?

    func validate() throws {
        if let name {
            do { try InputCheck.volumeName(name) } catch { throw ValidationError(error.named("volume name").description) }
        }
    }

    func run() async throws {
        let client = try await daemon.client()
        try await reportingErrors {
            let info = try await client.call(.POST, "/v1/volumes", json: CreateVolumeRequest(name: name), expecting: VolumeInfo.self)
            print(info.name)
        }
    }
}

struct VolumeList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List volumes and the containers that use them.", aliases: ["list"])
    @OptionGroup var daemon: DaemonOptions
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Only print volume names.")
    var quiet = false

    func run() async throws {
        let client = try await daemon.client()
        let volumes = try await reportingErrors {
            try await client.call(.GET, "/v1/volumes", expecting: [VolumeInfo].self)
        }
        if quiet {
            volumes.forEach { print($0.name) }
            return
        }
        let width = max(20, (volumes.map(\.name.count).max() ?? 0) + 2)
        print("VOLUME NAME".padding(toLength: width, withPad: " ", startingAt: 0) + "USED BY")
        for v in volumes {
            print(v.name.padding(toLength: width, withPad: " ", startingAt: 0) + (v.usedBy.isEmpty ? "-" : v.usedBy.joined(separator: ",")))
        }
    }
}

struct VolumeInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show volumes' details as JSON.")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "Volume names.") var names: [String]

    func run() async throws {
        let client = try await daemon.client()
        var all: [Any] = []
        try await reportingErrors {
            for name in names {
                let data = try await client.call(.GET, "/v1/volumes/\(try pathComponent(name))")
                all.append(try JSONSerialization.jsonObject(with: data))
            }
        }
        let out = try JSONSerialization.data(withJSONObject: all, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: out, as: UTF8.self))
    }
}

struct VolumeRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove volumes and their data (refused while a container uses one).", aliases: ["remove"])
    @OptionGroup var daemon: DaemonOptions
    @Flag(name: [.customShort("f"), .customLong("force")], help: "Do not fail on a volume that does not exist.")
    var force = false
    @Argument(help: "Volume names.") var names: [String]

    func run() async throws {
        let client = try await daemon.client()
        var failed = false
        for name in names {
            do {
                _ = try await client.call(.DELETE, "/v1/volumes/\(try pathComponent(name))" + (force ? "?force=true" : ""))
                print(name)
            } catch let error as DaemonClientError {
                FileHandle.standardError.write(Data("hull: \(error.message)\n".utf8))
                if error.status == nil { throw ExitCode(125) }
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

struct VolumePrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove every volume no container uses.")
    @OptionGroup var daemon: DaemonOptions
    @Flag(name: [.customShort("f"), .customLong("force")], help: "Accepted for Docker's sake; hull does not ask.")
    var force = false

    func run() async throws {
        let client = try await daemon.client()
        let result = try await reportingErrors {
            try await client.call(.POST, "/v1/volumes/prune", expecting: VolumePruneResult.self)
        }
        for name in result.removed { print("Deleted: \(name)") }
        print("Total reclaimed space: \(SizeText.si(result.reclaimedBytes))")
    }
}
