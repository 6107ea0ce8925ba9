import Foundation
import Glibc
import HullProtocol
import Logging

/// Runs `hull-probe` in a container under a mode, or directly on the host, and reads
/// what it printed. The probe reaches the container as a read-only bind mount of
/// `$HULL_HOME/probe` (runc/runsc) or of the initramfs's copy (vm), at `/.hull/probe`.
public struct ProbeRunner: Sendable {
    public var paths: HullPaths
    public var logger: Logger
    public var image: String

    public init(paths: HullPaths = HullPaths(), logger: Logger, image: String = "busybox") {
        self.paths = paths
        self.logger = logger
        self.image = image
    }

    public var hostBinary: URL { paths.home.appendingPathComponent("probe/hull-probe") }
    public static let containerBinary = ContainerRunner.helperPath(.probe) + "/hull-probe"

    /// How the probe compares with the host: the host's kernel, its boot id (one per
    /// running kernel) and a host pid (this process).
    public static func hostEnvironment() -> [String: String] {
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let boot = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return ["HULL_HOST_KERNEL": release, "HULL_HOST_BOOT_ID": boot, "HULL_HOST_PID": "\(getpid())"]
    }

    public func checkInstalled() throws(ProbeFailure) {
        guard FileManager.default.isExecutableFile(atPath: hostBinary.path) else {
            throw ProbeFailure("no probe at \(hostBinary.path): run scripts/setup.sh (probe/build-probe.sh)")
        }
    }

    /// The probe's answers on the host itself.
    public func runOnHost(_ arguments: [String] = []) async throws -> String {
        try checkInstalled()
        let result = try await ChildProcess.run(hostBinary.path, arguments, environment: Self.hostEnvironment())
        guard result.status.code == 0 else { throw ProbeFailure("hull-probe on the host: \(result.output)") }
        return result.output
    }

    /// Runs the probe with `arguments` in a fresh container under `mode`; its stdout.
    public func runInContainer(_ mode: IsolationMode, _ arguments: [String] = [], guest: GuestConfig = GuestConfig()) async throws -> String {
        try checkInstalled()
        var options = RunOptions()
        options.rootfs = .image(image)
        options.isolation = mode
        options.guest = guest
        options.helpers = [.probe]
        options.container.entrypoint = ProbeRunner.containerBinary
        options.container.command = arguments
        options.container.env = Self.hostEnvironment().map { "\($0)=\($1)" }
        let output = try OutputCapture()
        let status: ExitStatus
        do {
            status = try await ContainerRunner(paths: paths, logger: logger)
                .run(options, stdio: output.stdio)
        } catch {
            _ = await output.finish()
            throw error
        }
        let (out, err) = await output.finish()
        guard status.code == 0 else {
            throw ProbeFailure("hull-probe under \(mode.rawValue) exited with \(status.shellStatus): \(err)")
        }
        return out
    }
}

/// A container's stdout and stderr into pipes read on threads, each bounded to 1 MiB.
final class OutputCapture: Sendable {
    let stdio: ProcessStdio
    private let readers: (Task<String, Never>, Task<String, Never>)

    init() throws {
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        guard pipe(&out) == 0, pipe(&err) == 0 else { throw ChildProcessError(what: "pipe", code: errno) }
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        stdio = ProcessStdio(stdin: nil, stdout: out[1], stderr: err[1])
        let (o, e) = (out[0], err[0])
        readers = (Task { let t = await ChildProcess.readAll(o, limit: 1 << 20); close(o); return t },
                   Task { let t = await ChildProcess.readAll(e, limit: 1 << 20); close(e); return t })
    }

    /// Closes the write ends and returns what was read.
    func finish() async -> (String, String) {
        close(stdio.stdout)
        close(stdio.stderr)
        return (await readers.0.value, await readers.1.value)
    }
}
