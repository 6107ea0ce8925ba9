import ArgumentParser
import Foundation
import HullAPI
import HullDaemon
import HullRuntime
import Logging

@main
struct HulldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hulld",
        abstract: "Hull's host service: owns every detached container (guest, runsc sandbox or runc container) and serves the API hull talks to.",
        discussion: """
            Runs in the foreground (a service manager, or `hull` itself, puts it in the \
            background). Listens on a unix socket, owner-only, serving the HTTP+JSON API in \
            docs/api.md (OpenAPI: docs/openapi.yaml). State lives in $HULL_HOME/hulld.sqlite. \
            By default containers in guests (--isolation vm) keep running when hulld exits \
            and the next hulld takes them over; gvisor and process containers are stopped \
            with hulld (hulld is their runtime's subreaper and holds their stdio).
            """)

    @Option(name: .customLong("socket"), help: ArgumentHelp("Unix socket to listen on (env HULL_SOCKET).", valueName: "PATH"))
    var socket: String = DaemonSocket.path

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Flag(name: .customLong("stop-containers-on-exit"), help: "Stop every running container when hulld exits.")
    var stopOnExit = false

    @Option(name: .customLong("default-isolation"),
            help: ArgumentHelp("Isolation of containers created without --isolation: vm, gvisor or process (env HULL_ISOLATION; default vm).", valueName: "MODE"))
    var defaultIsolation: String?

    @Option(name: .customLong("insecure-registry"), help: ArgumentHelp(
        "Allow plain HTTP, or TLS without verification, for this registry in every pull and push (HOST:PORT; repeatable; also env HULL_INSECURE_REGISTRIES). Loopback registries may use plain HTTP anyway.",
        valueName: "HOST:PORT"))
    var insecureRegistries: [String] = []

    func validate() throws {
        do {
            _ = try IsolationMode.resolve(flag: defaultIsolation)
        } catch {
            throw ValidationError(error.description.replacingOccurrences(of: "--isolation", with: "--default-isolation"))
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard getuid() == 0 else { throw ValidationError("hulld runs as root: it starts guests through libvirt's system instance") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var options = Daemon.Options(socketPath: socket, paths: HullPaths())
        options.stopContainersOnExit = stopOnExit
        options.defaultIsolation = try IsolationMode.resolve(flag: defaultIsolation)
        options.insecureRegistries = insecureRegistries
        try await Daemon(options: options, logger: Logger(label: "hulld")).run()
    }
}
