import Foundation
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
    /// `--name`: names the guest `hull-NAME` instead of `hull-<short id>`.
    public var name: String?
    public var guest = GuestConfig()

    public init() {}
}

/// Runs one command in a fresh guest and removes the guest and all its files afterwards.
public struct ContainerRunner: Sendable {
    public var paths: HullPaths
    public var logger: Logger

    public init(paths: HullPaths = HullPaths(), logger: Logger) {
        self.paths = paths
        self.logger = logger
    }

    /// Called once the process is running, with a handle to signal or resize it.
    public typealias Started = @Sendable (GuestProcess) -> Void

    public func run(_ options: RunOptions, stdio: ProcessStdio, started: Started = { _ in }) async throws -> ExitStatus {
        let clock = ContinuousClock.now
        func phase(_ name: String) {
            logger.debug("\(name)", metadata: ["ms": "\((ContinuousClock.now - clock).milliseconds)"])
        }
        let libvirt = try LibvirtConnection()
        let id = ContainerID.generate()
        let runDir = paths.runDirectory(id: id.short)
        defer { try? FileManager.default.removeItem(at: runDir) }
        let container = try await GuestContainer.launch(
            id: id, options: options, runDirectory: runDir, stdio: stdio, paths: paths, libvirt: libvirt,
            logger: logger, phase: phase)
        let vm = container.vm
        let process = container.process
        defer { vm.destroy() }
        started(process)
        do {
            let status = try await process.wait()
            phase("process exited")
            await vm.stop()
            phase("guest stopped")
            return status
        } catch {
            throw RunError.guestFailed("\(error)", consoleLog: vm.consoleLogTail)
        }
    }
}

public enum RunError: Error, CustomStringConvertible {
    case startFailed(String)
    case guestFailed(String, consoleLog: String)

    public var description: String {
        switch self {
        case .startFailed(let m): "failed to start the container process: \(m)"
        case .guestFailed(let m, let log):
            "the guest failed while the container ran: \(m)\n--- guest console (last lines) ---\n\(log)\n--- end of guest console ---"
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
