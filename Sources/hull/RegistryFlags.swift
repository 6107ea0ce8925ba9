import ArgumentParser
import Foundation
import HullImages
import HullAPI
import HullClient
import HullRegistry
import Logging

/// Flags of every command that talks to a registry.
struct RegistryFlags: ParsableArguments {
    @Option(name: .customLong("insecure-registry"), help: ArgumentHelp(
        "Allow plain HTTP, or TLS without verification, for this registry (HOST:PORT; repeatable; also env HULL_INSECURE_REGISTRIES, comma-separated). Loopback registries may use plain HTTP anyway.",
        valueName: "HOST:PORT"))
    var insecure: [String] = []

    func options(logger: Logger) -> RegistryOptions {
        RegistryOptions.standard(home: ImageStore.defaultHome, insecure: insecure, logger: logger)
    }
}

/// Errors of registry commands: `hull: …` on stderr and the given exit status.
enum RegistryCLI {
    static func fail(_ error: any Error, status: Int32 = 1) -> ExitCode {
        FileHandle.standardError.write(Data("hull: \(error)\n".utf8))
        return ExitCode(status)
    }

    /// A name that can be pulled: parses as a reference (not an image id or digest prefix).
    static func pullableReference(_ text: String) throws -> ImageReference {
        try ImageReference.pullable(text)
    }

    static func platform(_ text: String?) throws -> PlatformChoice {
        guard let text else { return .host }
        return try PlatformChoice(parsing: text)
    }

}

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Pull an image from a registry into the store.",
        discussion: """
            NAME[:TAG] or NAME@sha256:…, Docker style: `busybox` is \
            docker.io/library/busybox:latest, `localhost:5000/app:v1` names a registry. A \
            multi-platform image gives its linux/amd64 variant (or --platform's). Layers are \
            fetched in parallel, resumed after a dropped connection, checked against their \
            digests and skipped when the store has them; the image enters the store whole or \
            not at all. hulld pulls (this command shows its progress); two pulls of one image \
            at once make one download. Credentials come from `hull login` or Docker's ~/.docker/config.json; \
            CA certificates from $HULL_HOME/certs.d/HOST:PORT/*.crt or /etc/docker/certs.d/HOST:PORT/*.crt.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var registry: RegistryFlags
    @OptionGroup var daemon: DaemonOptions

    @Option(name: .customLong("platform"), help: ArgumentHelp("Platform of a multi-platform image (default linux/amd64).", valueName: "OS/ARCH[/VARIANT]"))
    var platform: String?

    @Flag(name: .shortAndLong, help: "Print only the image name, no progress.")
    var quiet = false

    @Argument(help: ArgumentHelp("The image.", valueName: "NAME[:TAG|@DIGEST]"))
    var image: String

    func run() async throws {
        global.bootstrapLogging()
        let reference: ImageReference
        do {
            reference = try RegistryCLI.pullableReference(image)
            _ = try RegistryCLI.platform(platform)
        } catch {
            throw RegistryCLI.fail(error)
        }
        let client = try await daemon.client()
        _ = try await reportingErrors {
            try await ImageClient.pull(client, reference, platform: platform, flags: registry, quiet: quiet)
        }
        print(reference.withDefaultTag.string)
    }
}

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push an image from the store to the registry its name says.",
        discussion: """
            Give the image a name on the registry first: `hull tag app localhost:5000/team/app:v1`, \
            then `hull push localhost:5000/team/app:v1`. Blobs the repository has are skipped, \
            blobs of an image pulled from another repository of the same registry are mounted \
            from there, the rest are uploaded (in chunks above --chunk-size).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var registry: RegistryFlags
    @OptionGroup var daemon: DaemonOptions

    @Option(name: .customLong("chunk-size"), help: ArgumentHelp("Upload blobs larger than this in chunks of this size (e.g. 16m).", valueName: "SIZE"))
    var chunkSize: String = "16m"

    @Flag(name: .shortAndLong, help: "No progress.")
    var quiet = false

    @Argument(help: ArgumentHelp("The image.", valueName: "NAME[:TAG]"))
    var image: String

    func run() async throws {
        global.bootstrapLogging()
        let bytes = try MemorySize.parseBytes(chunkSize)
        guard bytes >= 64 * 1024 else { throw ValidationError("--chunk-size \(chunkSize) is too small: at least 64k") }
        let reference: ImageReference
        do {
            reference = try ImageReference(parsing: image)
        } catch {
            throw RegistryCLI.fail(error)
        }
        let client = try await daemon.client()
        let path = "/v1/images/push" + ImageClient.query([
            ("name", image), ("chunkSize", String(bytes)), ("insecure", ImageClient.insecure(registry)),
        ])
        _ = try await reportingErrors {
            try await ImageClient.follow(try await client.progress(path, headers: ImageClient.authHeaders(for: reference.domain)),
                                         quiet: quiet)
        }
    }
}

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Check and store credentials for a registry ($HULL_HOME/auth.json, mode 0600).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var registry: RegistryFlags

    @Option(name: .shortAndLong, help: "User name.")
    var username: String?

    @Option(name: .shortAndLong, help: "Password (visible in the process list: prefer --password-stdin).")
    var password: String?

    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.")
    var passwordStdin = false

    @Argument(help: ArgumentHelp("Registry (default docker.io).", valueName: "REGISTRY"))
    var server: String = ImageReference.defaultDomain

    func run() async throws {
        global.bootstrapLogging()
        let name = CredentialStore.registry(forKey: server)
        do {
            guard let user = username ?? prompt("Username: ") , !user.isEmpty else {
                throw ValidationError("a user name is needed: -u NAME")
            }
            var secret = password
            if passwordStdin {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                secret = String(decoding: data.prefix(64 << 10), as: UTF8.self).trimmingCharacters(in: .newlines)
            } else if secret == nil, isatty(STDIN_FILENO) == 1, let entered = getpass("Password: ") {
                secret = String(cString: entered)
            }
            guard let secret, !secret.isEmpty else { throw ValidationError("a password is needed: --password-stdin or -p") }
            let credentials = RegistryCredentials(username: user, password: secret)
            let logger = Logger(label: "hull.login")
            let options = registry.options(logger: logger)
            try await RegistryClient.with(registry: name, options: options, credentials: credentials) { try await $0.checkLogin() }
            try options.credentials.save(credentials, for: name)
            print("Login Succeeded (credentials for \(name) saved in \(options.credentials.file.path))")
        } catch {
            throw RegistryCLI.fail(error)
        }
    }

    private func prompt(_ text: String) -> String? {
        guard isatty(STDIN_FILENO) == 1, !passwordStdin else { return nil }
        FileHandle.standardError.write(Data(text.utf8))
        return readLine()
    }
}

struct LogoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Forget the stored credentials of a registry.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Registry (default docker.io).", valueName: "REGISTRY"))
    var server: String = ImageReference.defaultDomain

    func run() throws {
        global.bootstrapLogging()
        let name = CredentialStore.registry(forKey: server)
        let store = CredentialStore.standard(home: ImageStore.defaultHome)
        do {
            if try store.remove(for: name) {
                print("Removing login credentials for \(name)")
            } else {
                print("Not logged in to \(name)")
            }
        } catch {
            throw RegistryCLI.fail(error)
        }
    }
}
