import Foundation
import HullImages
import HullLibvirt
import HullProtocol
import Logging

/// Everything `hull run` asks for.
public struct RunOptions: Sendable {
    public var rootfs: RootfsSource = .image("busybox")
    public var container = ContainerFlags()
    /// Keep stdin open and forward the host's stdin (`-i`).
    public var interactive = false
    public var windowSize: WindowSize?
    /// `--name`: names the container NAME instead of its short id: the guest's domain
    /// `hull-<6 hex of HULL_HOME>-NAME` (`HullPaths.domainName(for:)`), runc/runsc's
    /// container `hull-NAME`.
    public var name: String?
    /// `--storage-opt size=`: the container's writable layer in MiB, on a file system of
    /// its own (OCIBundle); nil writes into the root as it is.
    public var storageSizeMiB: Int?
    /// Used by `--isolation vm` only.
    public var guest = GuestConfig()
    public var isolation = IsolationMode.defaultMode
    /// Hull's helper directories to show read-only at `/.hull/<name>` in the container.
    public var helpers: [HelperDirectory] = []
    /// The container's interface on a Hull network; nil is loopback only (`--network none`).
    public var network: NetworkEndpoint?
    /// /etc/hosts and /etc/resolv.conf for a networked container (nil: the image's own).
    public var etcFiles: ContainerEtcFiles?

    public init() {}
}

/// Runs one command in a fresh container under the chosen isolation mode and removes the
/// container and all its files afterwards. Mode-specific work is the driver's.
public struct ContainerRunner: Sendable {
    public var paths: HullPaths
    public var logger: Logger

    public init(paths: HullPaths = HullPaths(), logger: Logger) {
        self.paths = paths
        self.logger = logger
    }

    /// Called once the process is running, with a handle to signal or resize it.
    public typealias Started = @Sendable (any ContainerProcess) -> Void

    /// Where a helper directory appears in the container.
    public static func helperPath(_ directory: HelperDirectory) -> String { "/.hull/\(directory.rawValue)" }

    /// Called once the sandbox exists, before its process starts (`hull bench` measures
    /// the host processes it costs).
    public typealias SandboxReady = @Sendable (any Sandbox) -> Void

    public func run(_ options: RunOptions, stdio: ProcessStdio, started: Started = { _ in }) async throws -> ExitStatus {
        let driver = try await IsolationDrivers.make(options.isolation, guest: options.guest, paths: paths, logger: logger)
        return try await run(options, driver: driver, stdio: stdio, started: started)
    }

    public func run(_ options: RunOptions, driver: any IsolationDriver, stdio: ProcessStdio,
                    sandboxReady: SandboxReady = { _ in }, started: Started = { _ in }) async throws -> ExitStatus {
        let clock = ContinuousClock.now
        func phase(_ name: String) {
            logger.debug("\(name)", metadata: ["ms": "\((ContinuousClock.now - clock).milliseconds)", "isolation": "\(driver.mode.rawValue)"])
        }
        let id = ContainerID.generate()
        let name = options.name ?? id.short
        let runDir = paths.runDirectory(id: id.short)
        try PrivateFile.createDirectory(runDir)   // a vm driver grants QEMU's group its way in
        defer {
            WritableLayer(directory: runDir).unmount()
            try? FileManager.default.removeItem(at: runDir)
        }

        var options = options
        options.container.helperMounts = options.helpers.map {
            HelperMount(source: driver.helperSource($0), destination: ContainerRunner.helperPath($0))
        }
        let bundle = try OCIBundle.make(options: options, hostname: options.container.hostname ?? id.short,
                                        driver: driver, in: runDir, paths: paths)
        phase("bundle ready")
        let sandbox = try await driver.createSandbox(bundle: bundle, name: name)
        phase("sandbox ready")
        sandboxReady(sandbox)
        let status: ExitStatus
        do {
            let process = try await sandbox.start(stdio: stdio)
            phase("process started")
            started(process)
            status = try await process.wait()
            phase("process exited")
        } catch let error as RunError {
            await sandbox.delete()
            throw error
        } catch {
            let diagnostics = sandbox.diagnostics
            await sandbox.delete()
            throw RunError.guestFailed("\(error)", consoleLog: diagnostics)
        }
        await sandbox.delete()
        phase("sandbox deleted")
        return status
    }
}

public enum RunError: Error, CustomStringConvertible {
    case startFailed(String)
    case guestFailed(String, consoleLog: String)

    public var description: String {
        switch self {
        case .startFailed(let m): "failed to start the container process: \(m)"
        case .guestFailed(let m, let diagnostics):
            "the container's sandbox failed while the container ran: \(m)\n\(diagnostics)"
        }
    }

    /// Docker's convention: 127 command not found, 126 not executable, 125 anything else.
    public var exitCode: Int32 {
        switch self {
        case .startFailed(let m) where m.hasPrefix("exec") && m.contains("No such file or directory"): 127
        case .startFailed(let m) where m.hasPrefix("exec") && (m.contains("Permission denied") || m.contains("Exec format")): 126
        default: 125
        }
    }
}

/// A container id: 32 random bytes as hex, like Docker's; the first 12 characters name
/// the guest and its run folder.
public struct ContainerID: Sendable, Hashable {
    public let full: String
    public var short: String { String(full.prefix(12)) }

    public init(full: String) {
        self.full = full
    }

    public static func generate() -> ContainerID {
        var rng = SystemRandomNumberGenerator()
        let hex = (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &rng)
            return String(byte, radix: 16).leftPadded(to: 2)
        }
        return ContainerID(full: hex.joined())
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
