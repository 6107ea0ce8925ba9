import Foundation
import Glibc
import HullAPI
import HullEngine
import HullImages
import HullRuntime
import Hummingbird
import Logging

/// hulld: opens the state store, reconciles it with libvirt, follows libvirt's lifecycle
/// events and serves the API on a unix socket until SIGINT/SIGTERM.
public struct Daemon {
    public struct Options: Sendable {
        public var socketPath: String
        public var paths: HullPaths
        /// Stop every running container when hulld exits (default: they keep running,
        /// like dockerd's live-restore).
        public var stopContainersOnExit = false
        /// The isolation of containers whose create request names none.
        public var defaultIsolation = IsolationMode.defaultMode
        /// Registries pulls and pushes may reach over plain HTTP or unverified TLS.
        public var insecureRegistries: [String] = []
        public init(socketPath: String, paths: HullPaths) {
            self.socketPath = socketPath
            self.paths = paths
        }
    }

    let options: Options
    let logger: Logger

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Present while a hulld runs; left behind by one that crashed (HullClient's
    /// DaemonLauncher says so when it starts the next).
    public static let pidFileName = "hulld.pid"

    public func run() async throws {
        let socket = URL(fileURLWithPath: options.socketPath)
        try FileManager.default.createDirectory(at: socket.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try SocketGuard.claim(options.socketPath)
        try FileManager.default.createDirectory(at: options.paths.home, withIntermediateDirectories: true)
        let lock = try HomeLock(options.paths.home)
        defer { withExtendedLifetime(lock) {} }
        // A crash is visible: the pid file of a hulld that did not shut down is still here.
        let pidFile = options.paths.home.appendingPathComponent(Self.pidFileName)
        if let previous = try? String(contentsOf: pidFile, encoding: .utf8) {
            logger.warning("the previous hulld (pid \(previous.trimmingCharacters(in: .whitespacesAndNewlines))) ended without shutting down (a crash or a kill); taking over its containers")
        }
        // Written once the socket listens (below), removed on every way out but a crash.
        defer { unlink(pidFile.path) }
        // An older install's 0644 specs and 0755 folders, or files copied in by hand.
        let repaired = HomeAccess.repair(options.paths)
        for change in repaired {
            logger.info("repaired a mode under HULL_HOME", metadata: ["change": "\(change)"])
        }
        if !repaired.isEmpty {
            logger.notice("repaired \(repaired.count) modes under HULL_HOME (modes: docs/security.md)",
                          metadata: ["first": "\(repaired[0])"])
        }

        var engineOptions = Engine.Options(paths: options.paths)
        engineOptions.defaultIsolation = options.defaultIsolation
        engineOptions.insecureRegistries = options.insecureRegistries
        let engine = try await Engine(engineOptions, logger: logger)
        let path = options.socketPath
        let app = Application(
            router: APIServer(manager: engine.containers, images: engine.images, logger: logger).router(),
            configuration: .init(address: .unixDomainSocket(path: path), serverName: "hulld"),
            onServerRunning: { _ in
                chmod(path, 0o600)
                try? PrivateFile.write(Data("\(getpid())\n".utf8), to: pidFile)
            },
            logger: logger)
        logger.info("hulld listening", metadata: ["socket": "\(path)", "home": "\(options.paths.home.path)",
                                                  "default-isolation": "\(options.defaultIsolation.rawValue)"])
        try await app.runService()
        await engine.shutdown(stoppingEverything: options.stopContainersOnExit)
        unlink(path)
    }
}

/// One hulld per HULL_HOME: two would both reconcile and drive the same containers.
final class HomeLock {
    private let fd: Int32

    init(_ home: URL) throws {
        let path = home.appendingPathComponent("hulld.lock").path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw EngineError.failed("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw EngineError.conflict("another hulld already manages \(home.path) (HULL_HOME); stop it first or give this one another HULL_HOME")
        }
    }

    deinit { close(fd) }
}

/// One hulld per socket: a socket file nobody answers on is stale and removed; one that
/// answers belongs to a running hulld.
enum SocketGuard {
    static func claim(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw EngineError.invalid("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if connected == 0 {
            throw EngineError.conflict("another hulld is already listening on \(path)")
        }
        unlink(path)
    }
}
