import ArgumentParser
import Foundation
import HullAPI
import HullClient

/// `hull system df|prune`: what hulld keeps on disk, and removing what nothing uses.
struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system",
        abstract: "Disk usage of images, containers, volumes and cached disks; prune what nothing uses.",
        subcommands: [SystemDiskUsageCommand.self, SystemPruneCommand.self])
}

struct SystemDiskUsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "df",
        abstract: "Show what hulld keeps on disk and what `hull system prune` would free.",
        discussion: """
            IMAGES are the store's blobs (reclaimable: those no image leads to, freed by \
            `hull image gc` too); CONTAINERS their logs and run folders (reclaimable: every \
            one not running); VOLUMES named volumes (reclaimable: those no container uses, \
            freed by `hull system prune --volumes`); DISKS the ext4 disks and unpacked trees \
            cached per image (reclaimable: of images that are gone).
            """)
    @OptionGroup var daemon: DaemonOptions

    func run() async throws {
        let client = try await daemon.client()
        let usage = try await reportingErrors {
            try await client.call(.GET, "/v1/system/df", expecting: SystemDiskUsage.self)
        }
        let rows: [(String, UsageRow)] = [("Images", usage.images), ("Containers", usage.containers),
                                          ("Volumes", usage.volumes), ("Disks", usage.disks)]
        let table = [["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]] + rows.map { name, row in
            [name, "\(row.count)", "\(row.active)", Self.size(row.bytes), Self.size(row.reclaimableBytes)]
        }
        let widths = (0..<5).map { column in table.map { $0[column].count }.max() ?? 0 }
        for line in table {
            print(zip(line, widths).map { $0.padding(toLength: $1 + 3, withPad: " ", startingAt: 0) }.joined()
                .trimmingCharacters(in: .whitespaces))
        }
    }

    static func size(_ bytes: Int64) -> String { SizeText.si(bytes) }
}

struct SystemPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove every container that is not running, blobs and disks no image needs, and (--volumes) unused volumes.")
    @OptionGroup var daemon: DaemonOptions
    @Flag(name: .customLong("volumes"), help: "Also remove every volume no container uses.")
    var volumes = false
    @Flag(name: [.customShort("f"), .customLong("force")], help: "Accepted for Docker's sake; hull does not ask.")
    var force = false

    func run() async throws {
        let client = try await daemon.client()
        let result = try await reportingErrors {
            try await client.call(.POST, "/v1/system/prune" + (volumes ? "?volumes=true" : ""), expecting: SystemPruneResult.self,
                                  timeout: DaemonClient.forever)
        }
        for name in result.containers { print("Deleted container: \(name)") }
        for name in result.volumes { print("Deleted volume: \(name)") }
        if result.imageBlobs + result.disks > 0 {
            print("Deleted \(result.imageBlobs) image blobs and \(result.disks) cached disks")
        }
        print("Total reclaimed space: \(SystemDiskUsageCommand.size(result.reclaimedBytes))")
    }
}
