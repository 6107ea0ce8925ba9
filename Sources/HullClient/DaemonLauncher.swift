import Foundation
import Glibc
import HullAPI

/// On hosts without a service manager, `hull` starts hulld itself when nobody answers on
/// the socket: the `hulld` next to the `hull` binary (else on PATH), in a session of its
/// own, logging to $HULL_HOME/hulld.log. HULL_NO_AUTOSTART=1 turns this off.
public enum DaemonLauncher {
    public static func ensureRunning(socketPath: String = DaemonSocket.path, home: URL) async throws {
        if isAnswering(socketPath) { return }
        if ProcessInfo.processInfo.environment["HULL_NO_AUTOSTART"] == "1" {
            throw DaemonClientError.unreachable(socketPath, "nothing listens there")
        }
        let hulld = executable()
        guard FileManager.default.isExecutableFile(atPath: hulld.path) else {
            throw DaemonClientError(status: nil, message: "hulld is not running and \(hulld.path) does not exist: build it with `swift build --product hulld`")
        }
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let logURL = home.appendingPathComponent("hulld.log")
        if !FileManager.default.fileExists(atPath: logURL.path) {
            FileManager.default.createFile(atPath: logURL.path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let log = try FileHandle(forWritingTo: logURL)
        try log.seekToEnd()
        let process = Process()
        process.executableURL = hulld
        process.arguments = ["--socket", socketPath]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        // hulld removes its pid file when it shuts down: one left behind means it crashed
        // or was killed, which the user should hear about.
        let crashed = FileManager.default.fileExists(atPath: home.appendingPathComponent("hulld.pid").path)
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if isAnswering(socketPath) {
                if crashed {
                    FileHandle.standardError.write(Data("hull: hulld had stopped without shutting down (a crash or a kill; see \(logURL.path)); started it again\n".utf8))
                }
                return
            }
            if !process.isRunning {
                throw DaemonClientError(status: nil, message: "hulld exited at once (status \(process.terminationStatus)); see \(logURL.path)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw DaemonClientError(status: nil, message: "hulld did not start listening on \(socketPath) within 15 s; see \(logURL.path)")
    }

    static func executable() -> URL {
        let beside = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("hulld")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("hulld")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return beside
    }

    /// True when something accepts a connection on the socket.
    public static func isAnswering(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }
}
