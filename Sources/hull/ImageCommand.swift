import ArgumentParser
import Foundation
import HullAPI
import HullClient
import HullImages
import Logging

/// `hull image …` (alias `hull images`): the local image store, an OCI image layout at
/// $HULL_HOME/oci. Without a subcommand it lists the images, so `hull images` works as
/// in Docker.
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Manage images: load, list, inspect, tag and remove.",
        discussion: """
            hulld keeps the images, in $HULL_HOME/oci, an OCI image layout that skopeo and \
            umoci can read too; these commands are its clients (`disk` and `import-builtin` \
            work on the store directly). `busybox:latest` is built in: it is made from Debian's busybox-static (set up \
            by scripts/setup.sh) the first time it is used, without any network.

            Examples:
              hull image load ./app.tar              # docker save, skopeo docker-archive: or oci-archive:
              hull image load ./layout --name app    # an OCI layout folder whose index names tags only
              hull images
              hull image inspect busybox
              hull image rm app:v1
            """,
        subcommands: [
            ImageList.self, PullCommand.self, PushCommand.self, ImageLoad.self, ImageInspect.self, ImageRemove.self, ImageTag.self,
            ImageGarbageCollect.self, ImageDisk.self, ImageImportBuiltin.self,
        ],
        defaultSubcommand: ImageList.self,
        aliases: ["images"])
}

/// Opens the store and turns its errors into `hull: …` on stderr and exit status 1 (for
/// the commands that still work on the store directly: `disk`, `import-builtin`).
enum ImageCLI {
    static func withStore<T>(_ global: GlobalOptions, _ body: (ImageStore) throws -> T) throws -> T {
        global.bootstrapLogging()
        do {
            return try body(ImageStore(home: ImageStore.defaultHome, logger: Logger(label: "hull.images")))
        } catch let error as ExitCode {
            throw error
        } catch {
            fail("\(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("hull: \(message)\n".utf8))
        Foundation.exit(1)
    }
}

struct ImageList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List images: name, tag, digest, size, created.", aliases: ["list"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var daemon: DaemonOptions

    @Flag(name: .shortAndLong, help: "Print the full manifest digests only.")
    var quiet = false

    @Flag(name: .customLong("no-trunc"), help: "Show full digests.")
    var noTrunc = false

    func run() async throws {
        global.bootstrapLogging()
        let client = try await daemon.client()
        let images = try await reportingErrors { try await client.call(.GET, "/v1/images", expecting: [ImageInfo].self) }
        if quiet {
            var seen = Set<String>()
            for image in images where seen.insert(image.digest).inserted { print(image.digest) }
            return
        }
        let now = Date()
        let rows = images.map { image in
            [
                image.repository ?? "<none>",
                image.tag ?? "<none>",
                noTrunc ? image.digest : ImageClient.short(image.digest),
                image.size.map(SizeText.si) ?? "?",
                image.createdAt.map { DurationText.ago($0, now: now) } ?? "N/A",
            ]
        }
        Table.print(header: ["NAME", "TAG", "DIGEST", "SIZE", "CREATED"], rows: rows)
    }
}

struct ImageLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load images from an OCI layout folder, an OCI layout tar or a docker save tar.",
        discussion: """
            Accepts what `docker save`, `skopeo copy … docker-archive:FILE`, \
            `skopeo copy … oci-archive:FILE` and `skopeo copy … oci:DIR` write. Only \
            linux/amd64 images load; from a multi-platform index the linux/amd64 image is \
            taken. Every blob is checked against its digest; on any error nothing is stored. \
            The archive is sent to hulld (a folder as a tar of it); `-` reads it from stdin.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var daemon: DaemonOptions

    @Option(name: .customLong("name"), help: ArgumentHelp(
        "Name the images NAME (keeping each one's tag), or NAME:TAG when the input holds one image. Needed when an OCI layout names its images by tag only.",
        valueName: "NAME[:TAG]"))
    var name: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Read the archive from this file (docker load -i).", valueName: "FILE"))
    var input: String?

    @Argument(help: ArgumentHelp("Archive files or OCI layout folders.", valueName: "FILE|DIR"))
    var inputs: [String] = []

    func validate() throws {
        if inputs.isEmpty && input == nil { throw ValidationError("give an archive or folder to load (or -i FILE, or - for stdin)") }
    }

    func run() async throws {
        global.bootstrapLogging()
        let client = try await daemon.client()
        let path = "/v1/images/load" + ImageClient.query([("name", name)])
        for source in (input.map { [$0] } ?? []) + inputs {
            let data = try await reportingErrors { try await ArchiveUpload.send(source, client: client, path: path) }
            let loaded: [LoadedImageInfo]
            do {
                loaded = try JSONDecoder().decode([LoadedImageInfo].self, from: data)
            } catch {
                ImageCLI.fail("hulld answered the load with something unexpected: \(error)")
            }
            for image in loaded {
                let short = ImageClient.short(image.digest)
                if image.names.isEmpty {
                    print("Loaded image: \(image.digest) (untagged: give it a name with --name or hull image tag)")
                }
                for ref in image.names { print("Loaded image: \(ref) (\(short))") }
            }
        }
    }
}

struct ImageInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print an image's config (OCI image config JSON).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var daemon: DaemonOptions

    @Flag(name: .customLong("manifest"), help: "Print the manifest instead of the config.")
    var manifest = false

    @Argument(help: ArgumentHelp("Image name, digest or digest prefix.", valueName: "IMAGE"))
    var image: String

    func run() async throws {
        global.bootstrapLogging()
        let client = try await daemon.client()
        let path = "/v1/images/inspect" + ImageClient.query([("name", image), ("what", manifest ? "manifest" : "config")])
        let data = try await reportingErrors { try await client.call(.GET, path) }
        let object = try JSONSerialization.jsonObject(with: data)
        let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: pretty, as: UTF8.self))
    }
}

struct ImageRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove images (untag; delete when no tag is left).",
        discussion: "An image a container uses (running or not) is kept, naming the container, unless -f.",
        aliases: ["remove", "rmi"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var daemon: DaemonOptions

    @Flag(name: .shortAndLong, help: "Remove even when a container uses the image.")
    var force = false

    @Argument(help: ArgumentHelp("Image names, digests or digest prefixes.", valueName: "IMAGE"))
    var images: [String]

    func run() async throws {
        global.bootstrapLogging()
        let client = try await daemon.client()
        var failed = false
        for image in images {
            let path = "/v1/images/remove" + ImageClient.query([("name", image), ("force", force ? "true" : nil)])
            do {
                let removal = try await client.call(.POST, path, expecting: ImageRemoval.self)
                for event in removal.events { print(event) }
            } catch let error as DaemonClientError {
                FileHandle.standardError.write(Data("hull: \(error.message)\n".utf8))
                if error.status == nil { throw ExitCode(125) }
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

struct ImageTag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Give an image another name.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var daemon: DaemonOptions

    @Argument(help: ArgumentHelp("The image.", valueName: "SOURCE"))
    var source: String

    @Argument(help: ArgumentHelp("The new name.", valueName: "TARGET[:TAG]"))
    var target: String

    func run() async throws {
        global.bootstrapLogging()
        let client = try await daemon.client()
        _ = try await reportingErrors {
            try await client.call(.POST, "/v1/images/tag" + ImageClient.query([("source", source), ("target", target)]))
        }
    }
}

struct ImageGarbageCollect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Delete blobs and cached disks no image needs.", aliases: ["prune"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var daemon: DaemonOptions

    func run() async throws {
        global.bootstrapLogging()
        let client = try await daemon.client()
        let report = try await reportingErrors { try await client.call(.POST, "/v1/images/prune", expecting: ImagePruneResult.self) }
        print("removed \(report.removedBlobs) blobs and \(report.removedDisks) disks, \(SizeText.si(report.reclaimedBytes)) freed")
    }
}

struct ImageDisk: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disk",
        abstract: "Build (or find) the cached ext4 root disk of an image and print its path, size and build time.")

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("rebuild"), help: "Delete the cached disk first.")
    var rebuild = false

    @Argument(help: ArgumentHelp("The image.", valueName: "IMAGE"))
    var image: String = "busybox"

    func run() throws {
        try ImageCLI.withStore(global) { store in
            let resolved = try store.resolve(image)
            if rebuild { try? FileManager.default.removeItem(at: store.disks.path(for: resolved.manifestDigest)) }
            let started = ContinuousClock.now
            let (disk, built) = try store.buildRootfsDisk(for: resolved)
            let elapsed = ContinuousClock.now - started
            let attributes = try FileManager.default.attributesOfItem(atPath: disk.path)
            let apparent = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            var st = stat()
            let allocated = stat(disk.path, &st) == 0 ? Int64(st.st_blocks) * 512 : 0
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("disk \(disk.path)")
            print("image \(resolved.reference) \(resolved.manifestDigest)")
            print("size \(apparent) bytes (\(SizeText.si(apparent))), allocated \(allocated) bytes (\(SizeText.si(allocated)))")
            print(built ? String(format: "built in %.3f s", seconds) : String(format: "cached (%.3f s)", seconds))
        }
    }
}

struct ImageImportBuiltin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-builtin",
        abstract: "Make busybox:latest from the built-in busybox rootfs (done on first use anyway).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let loaded = try ImageCLI.withStore(global) { try $0.importBuiltin() }
        if let loaded { print("Loaded image: busybox:latest (\(loaded.manifestDigest.short))") }
    }
}

/// Docker's size format: SI units, three significant digits ("4.26MB").
enum SizeText {
    static func si(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes)B" : String(format: "%.3g", value) + units[unit]
    }
}

/// Docker's "3 weeks ago".
enum DurationText {
    static func ago(_ date: Date, now: Date) -> String {
        let s = now.timeIntervalSince(date)
        if s < 0 { return "in the future" }
        let minutes = Int(s / 60), hours = Int(s / 3600), days = Int(s / 86400)
        let text: String
        switch s {
        case ..<1: text = "Less than a second"
        case ..<60: text = "\(Int(s)) seconds"
        case ..<120: text = "About a minute"
        case ..<3600: text = "\(minutes) minutes"
        case ..<7200: text = "About an hour"
        case ..<(48 * 3600): text = "\(hours) hours"
        case ..<(14 * 86400): text = "\(days) days"
        case ..<(90 * 86400): text = "\(days / 7) weeks"
        case ..<(730 * 86400): text = "\(days / 30) months"
        default: text = "\(days / 365) years"
        }
        return text + " ago"
    }
}

enum Table {
    static func print(header: [String], rows: [[String]]) {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        for row in all {
            let cells = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }
            Swift.print(cells.joined(separator: "   "))
        }
    }
}
