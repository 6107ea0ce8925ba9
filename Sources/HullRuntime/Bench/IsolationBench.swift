import Foundation
import Glibc
import HullProtocol
import Logging

/// `hull bench`: a fixed workload set under every mode, `runs` times each, measured
/// in-process around `ContainerRunner.run` (the CLI's own start-up is not included).
public struct IsolationBench: Sendable {
    public enum Metric: String, CaseIterable, Sendable {
        case coldStart = "cold start to first output"
        case execLatency = "exec latency"
        case throughput = "stdout throughput"
        case syscalls = "syscall loop (getppid)"
        case fileIO = "file I/O loop in rootfs"
        case volumeIO = "file I/O loop in a bind mount"
        case idleMemory = "host memory per idle container"

        public var unit: String {
            switch self {
            case .coldStart, .execLatency: "ms"
            case .throughput: "MiB/s"
            case .syscalls: "ns/call"
            case .fileIO, .volumeIO: "µs/file"
            case .idleMemory: "MiB RSS"
            }
        }

        public var lowerIsBetter: Bool { self != .throughput }

        /// What the workload is, for the table's notes.
        public var workload: String {
            switch self {
            case .coldStart: "hull-probe --hello: from ContainerRunner.run to the first byte on stdout"
            case .execLatency: "Sandbox.exec of `true` (busybox) in one running idle container, request to exit status, as hulld runs `hull exec` (no CLI or HTTP); host: spawn + wait of the host's busybox true"
            case .throughput: "sh -c 'head -c 64m /dev/zero' (busybox) into a pipe hull reads, bytes / (last byte − first byte); host: the host's busybox head into the same reader"
            case .syscalls: "hull-probe --syscalls \(IsolationBench.syscallCount)"
            case .fileIO: "hull-probe --fileio \(IsolationBench.fileCount): create, write 4 KiB, read back, unlink"
            case .volumeIO: "the same loop in a host folder bind-mounted with -v (virtio-fs in a guest, an OCI bind mount under runc/runsc)"
            case .idleMemory: "hull-probe --idle: summed RSS of the host processes the container costs, after it printed ready"
            }
        }
    }

    public static let syscallCount = 100_000
    public static let fileCount = 1_000
    static let throughputBytes = 64 << 20

    public var paths: HullPaths
    public var logger: Logger
    public var runs: Int

    public init(paths: HullPaths = HullPaths(), logger: Logger, runs: Int) {
        self.paths = paths
        self.logger = logger
        self.runs = runs
    }

    /// Column → metric → samples; columns are the modes, then "host" (probe loops run
    /// directly on the host: the baseline for ratios).
    public struct Result: Sendable {
        public var columns: [String] = []
        public var samples: [String: [Metric: Samples]] = [:]
        public var failures: [String: String] = [:]
    }

    public func run(modes: [IsolationMode], progress: @Sendable (String) -> Void) async -> Result {
        var result = Result()
        for mode in modes {
            result.columns.append(mode.rawValue)
            do {
                let driver = try await IsolationDrivers.make(mode, guest: GuestConfig(), paths: paths, logger: logger)
                var table: [Metric: Samples] = [:]
                for metric in Metric.allCases {
                    if metric == .execLatency {
                        table[metric] = Samples(try await execLatencies(driver: driver) { i in
                            progress("\(mode.rawValue): \(metric.rawValue) \(i)/\(runs)")
                        })
                        continue
                    }
                    var values: [Double] = []
                    for i in 1...runs {
                        progress("\(mode.rawValue): \(metric.rawValue) \(i)/\(runs)")
                        values.append(try await measure(metric, driver: driver))
                    }
                    table[metric] = Samples(values)
                }
                result.samples[mode.rawValue] = table
            } catch {
                result.failures[mode.rawValue] = "\(error)"
            }
        }
        result.columns.append("host")
        var host: [Metric: Samples] = [:]
        let probe = ProbeRunner(paths: paths, logger: logger)
        do {
            for (metric, arguments) in [(Metric.syscalls, ["--syscalls", "\(Self.syscallCount)"]),
                                        (.fileIO, ["--fileio", "\(Self.fileCount)"])] {
                var values: [Double] = []
                for i in 1...runs {
                    progress("host: \(metric.rawValue) \(i)/\(runs)")
                    values.append(try Self.figure(in: try await probe.runOnHost(arguments)))
                }
                host[metric] = Samples(values)
            }
            var values: [Double] = []
            for i in 1...runs {
                progress("host: \(Metric.throughput.rawValue) \(i)/\(runs)")
                values.append(try await Self.hostThroughput())
            }
            host[.throughput] = Samples(values)
            values = []
            for i in 1...runs {
                progress("host: \(Metric.execLatency.rawValue) \(i)/\(runs)")
                values.append(try await Self.hostExec())
            }
            host[.execLatency] = Samples(values)
        } catch {
            result.failures["host"] = "\(error)"
        }
        result.samples["host"] = host
        return result
    }

    func options(_ command: [String], entrypoint: String? = nil) -> RunOptions {
        var options = RunOptions()
        options.rootfs = .image("busybox")
        options.helpers = [.probe]
        options.container.entrypoint = entrypoint
        options.container.command = command
        return options
    }

    func measure(_ metric: Metric, driver: any IsolationDriver) async throws -> Double {
        let probe = ProbeRunner.containerBinary
        switch metric {
        case .coldStart, .throughput, .syscalls, .fileIO, .volumeIO:
            let runner = ContainerRunner(paths: paths, logger: logger)
            let capture = try TimedCapture()
            var opts: RunOptions
            // The bind-mounted folder of the volume row, removed afterwards.
            let folder = URL(fileURLWithPath: "/tmp/hull-bench-volume-\(UUID().uuidString.prefix(8))")
            defer { if metric == .volumeIO { try? FileManager.default.removeItem(at: folder) } }
            switch metric {
            case .coldStart: opts = options(["--hello"], entrypoint: probe)
            case .throughput: opts = options(["sh", "-c", "head -c \(Self.throughputBytes) /dev/zero"])
            case .syscalls: opts = options(["--syscalls", "\(Self.syscallCount)"], entrypoint: probe)
            case .volumeIO:
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                opts = options(["--fileio", "\(Self.fileCount)"], entrypoint: probe)
                opts.container.volumes = [VolumeMount(hostPath: folder.path, destination: "/bench", readOnly: false)]
                opts.container.workdir = "/bench"
            default: opts = options(["--fileio", "\(Self.fileCount)"], entrypoint: probe)
            }
            let started = ContinuousClock.now
            let status: ExitStatus
            do {
                status = try await runner.run(opts, driver: driver, stdio: capture.stdio)
            } catch {
                _ = await capture.finish()
                throw error
            }
            let errors = await capture.finish()
            guard status.code == 0 else { throw ProbeFailure("\(metric.rawValue) exited \(status.shellStatus): \(errors)") }
            let s = capture.snapshot
            switch metric {
            case .coldStart:
                guard let first = s.first else { throw ProbeFailure("no output") }
                return Double((first - started).milliseconds)
            case .throughput:
                return try Self.throughput(s)
            default:
                return try Self.figure(in: capture.text)
            }
        case .idleMemory:
            return try await withIdleContainer(driver: driver) { sandbox in
                try await Task.sleep(for: .milliseconds(500))
                let kib = HostProcesses.withDescendants(of: sandbox.hostProcessIDs()).reduce(0) { $0 + $1.rssKiB }
                guard kib > 0 else { throw ProbeFailure("found no host process for the container") }
                return Double(kib) / 1024
            }
        case .execLatency:
            throw ProbeFailure("exec latency is measured by execLatencies, in one container")
        }
    }

    /// `runs` execs of `true`, one after the other, in one idle container: milliseconds
    /// from `Sandbox.exec` to the exit status.
    func execLatencies(driver: any IsolationDriver, progress: (Int) -> Void) async throws -> [Double] {
        try await withIdleContainer(driver: driver) { sandbox in
            let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
            defer { close(devNull) }
            var values: [Double] = []
            for i in 1...runs {
                progress(i)
                let started = ContinuousClock.now
                let process = try await sandbox.exec(ExecProcess(args: ["true"]),
                                                     stdio: ProcessStdio(stdin: nil, stdout: devNull, stderr: devNull))
                let status = try await process.wait()
                guard status.code == 0 else { throw ProbeFailure("exec of true exited \(status.shellStatus)") }
                values.append(Double((ContinuousClock.now - started) / .microseconds(1)) / 1000)
            }
            return values
        }
    }

    /// Runs `hull-probe --idle` in a fresh container, calls `body` with its sandbox once
    /// the probe said ready, then kills the container and waits until it is gone,
    /// whatever `body` did.
    func withIdleContainer<T>(driver: any IsolationDriver, _ body: (any Sandbox) async throws -> T) async throws -> T {
        let runner = ContainerRunner(paths: paths, logger: logger)
        let capture = try TimedCapture()
        let box = SandboxBox()
        let opts = options(["--idle"], entrypoint: ProbeRunner.containerBinary)
        let run = Task {
            try await runner.run(opts, driver: driver, stdio: capture.stdio,
                                 sandboxReady: { box.sandbox = $0 }, started: { box.process = $0 })
        }
        defer { run.cancel() }
        func end() async {
            try? await box.process?.signal(SIGKILL)
            _ = try? await run.value
            _ = await capture.finish()
        }
        guard await capture.waitFor("ready", within: .seconds(120)), let sandbox = box.sandbox else {
            await end()
            throw ProbeFailure("the idle container never said ready")
        }
        do {
            let result = try await body(sandbox)
            await end()
            return result
        } catch {
            await end()
            throw error
        }
    }

    /// The baseline: the host's busybox `true`, spawned and waited for.
    static func hostExec() async throws -> Double {
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devNull) }
        let started = ContinuousClock.now
        let pid = try ChildProcess.spawn("/bin/busybox", ["true"], stdin: devNull, stdout: devNull, stderr: devNull)
        let status = ChildProcess.exitStatus(await ChildProcess.wait(pid))
        guard status.code == 0 else { throw ProbeFailure("busybox true exited \(status.shellStatus)") }
        return Double((ContinuousClock.now - started) / .microseconds(1)) / 1000
    }

    static func throughput(_ s: TimedCapture.Snapshot) throws -> Double {
        guard let first = s.first, let last = s.last, s.bytes == throughputBytes else {
            throw ProbeFailure("got \(s.bytes) of \(throughputBytes) bytes")
        }
        let seconds = Double((last - first).milliseconds) / 1000
        return Double(s.bytes) / 1_048_576 / max(seconds, 0.001)
    }

    /// The same `head` (the host's static busybox) writing into the same pipe reader,
    /// without a container: the throughput baseline.
    static func hostThroughput() async throws -> Double {
        let capture = try TimedCapture()
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(devNull) }
        let pid = try ChildProcess.spawn("/bin/busybox", ["head", "-c", "\(throughputBytes)", "/dev/zero"], stdin: devNull,
                                         stdout: capture.stdio.stdout, stderr: capture.stdio.stderr)
        _ = await ChildProcess.wait(pid)
        _ = await capture.finish()
        return try throughput(capture.snapshot)
    }

    /// The figure after the first ": " field pair of a probe loop line:
    /// "syscalls: 100000 ns-per-call: 131.5" → 131.5.
    static func figure(in output: String) throws -> Double {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("-per-") }),
              let value = line.split(separator: " ").last.flatMap({ Double($0) }) else {
            throw ProbeFailure("unexpected probe output: \(output.prefix(200))")
        }
        return value
    }
}

/// Handles a run hands out while it runs.
private final class SandboxBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _sandbox: (any Sandbox)?
    private var _process: (any ContainerProcess)?
    var sandbox: (any Sandbox)? {
        get { lock.withLock { _sandbox } }
        set { lock.withLock { _sandbox = newValue } }
    }
    var process: (any ContainerProcess)? {
        get { lock.withLock { _process } }
        set { lock.withLock { _process = newValue } }
    }
}
