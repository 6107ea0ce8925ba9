import CHullRuntime
import Foundation
import Glibc
import HullProtocol
import Logging
import Synchronization

/// `--isolation process` (runc) and `--isolation gvisor` (runsc): the bundle's rootfs is a
/// directory, the runtime's state lives in the container's run folder (`state/`), and
/// hull is the subreaper of what the runtime leaves running, so it waits for the
/// container itself and leaves nothing behind.
public struct OCIRuntimeDriver: IsolationDriver {
    public var runtime: OCIRuntime
    public var paths: HullPaths
    public var logger: Logger

    public init(runtime: OCIRuntime, paths: HullPaths, logger: Logger) {
        self.runtime = runtime
        self.paths = paths
        self.logger = logger
    }

    public var mode: IsolationMode { runtime.mode }
    public var rootfsForm: RootfsForm { .directory }

    /// Host directories are bind-mounted as they are.
    public func helperSource(_ directory: HelperDirectory) -> String {
        paths.home.appendingPathComponent(directory.rawValue).path
    }

    /// runc sets rlimits with the host kernel, which refuses to raise a hard limit above
    /// hull's own without CAP_SYS_RESOURCE (measured: a sandbox host with RLIMIT_NOFILE
    /// 20000 fails `runc create` for Docker's 1048576). Such limits are lowered to hull's.
    public func adapt(_ spec: inout RuntimeSpec) {
        guard !HostLimits.canRaiseLimits() else { return }
        spec.process.rlimits = spec.process.rlimits.map { HostLimits.clamp($0, ceiling: HostLimits.hardLimit) }
    }

    public func createSandbox(bundle: OCIBundle, name: String) async throws -> any Sandbox {
        let tool = try runtime.locate()
        ChildProcess.becomeSubreaper()
        signal(SIGPIPE, SIG_IGN)  // a closed stdout shows as EPIPE, not as hull's death
        let state = bundle.directory.appendingPathComponent("state").path
        return OCIRuntimeSandbox(tool: tool, arguments: runtime.globalArguments + ["--root", state],
                                 id: "hull-\(name)", bundle: bundle, logger: logger)
    }
}

/// One container under runc or runsc. The runtime container is created and started in
/// `start` because the runtime hands the container its stdio at creation.
final class OCIRuntimeSandbox: Sandbox {
    let tool: String
    let arguments: [String]
    let id: String
    let bundle: OCIBundle
    let logger: Logger
    private let state = Mutex(State())

    struct State {
        var created = false
        var deleted = false
        var adopted: [pid_t: Task<Int32, Never>] = [:]
        var terminal: Int32?
        var pumps: [DescriptorPump] = []
        var runtimeLog = ""
    }

    init(tool: String, arguments: [String], id: String, bundle: OCIBundle, logger: Logger) {
        self.tool = tool
        self.arguments = arguments
        self.id = id
        self.bundle = bundle
        self.logger = logger
    }

    private func command(_ words: [String]) async throws -> (status: ExitStatus, output: String) {
        try await ChildProcess.run(tool, arguments + words)
    }

    func start(stdio: ProcessStdio) async throws -> any ContainerProcess {
        let directory = bundle.directory.path
        let pidFile = bundle.directory.appendingPathComponent("init.pid").path
        let console = bundle.spec.process.terminal == true
            ? try ConsoleSocket(path: bundle.directory.appendingPathComponent("console.sock").path) : nil
        // The runtime's stderr is the container's: held back until the runtime is done,
        // so its own messages become the error and not container output.
        var errors: [Int32] = [0, 0]
        guard hull_pipe_cloexec(&errors) == 0 else { throw ChildProcessError(what: "pipe", code: errno) }
        let relay = DescriptorPump(from: errors[0], to: stdio.stderr, mode: .hold, closeSource: true, name: "hull-stderr-\(id)")
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devNull) }
        state.withLock { $0.pumps.append(relay) }

        async let terminal: Int32? = console?.receiveTerminal(timeout: .seconds(30))
        var words = ["create", "--bundle", directory, "--pid-file", pidFile]
        if let console { words += ["--console-socket", console.path] }
        let creator: pid_t
        do {
            creator = try ChildProcess.spawn(
                tool, arguments + words + [id], stdin: console == nil ? (stdio.stdin ?? devNull) : devNull,
                stdout: console == nil ? stdio.stdout : devNull, stderr: errors[1])
        } catch {
            close(errors[1])
            throw error
        }
        close(errors[1])
        state.withLock { $0.created = true }
        let created = ChildProcess.exitStatus(await ChildProcess.wait(creator))
        if created.code != 0 { console?.cancel() }
        let master = await terminal
        if let master { state.withLock { $0.terminal = master } }
        guard created.code == 0 else {
            await relay.waitForEnd(within: .seconds(2))
            throw startFailure(relay.heldText)
        }

        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let initPID = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw RunError.startFailed("\(tool) create left no pid file at \(pidFile)")
        }
        // The container's init (runc) or runsc's sandbox and gofer are our children now.
        var adopted = Set(ChildProcess.children(mentioning: directory))
        adopted.insert(initPID)
        let waits = adopted.map { pid in (pid, Task { await ChildProcess.wait(pid) }) }
        state.withLock { s in for (pid, task) in waits { s.adopted[pid] = task } }

        var outputPump: DescriptorPump?
        if let master {
            outputPump = DescriptorPump(from: master, to: stdio.stdout, mode: .forward, closeSource: false, name: "hull-tty-\(id)")
            if let input = stdio.stdin {
                _ = DescriptorPump(from: input, to: master, mode: .forward, closeSource: false, name: "hull-tty-in-\(id)")
            }
            if let size = bundle.spec.process.consoleSize {
                setWindowSize(master, WindowSize(rows: size.height, columns: size.width))
            }
        } else if console != nil {
            throw RunError.startFailed("\(tool) create did not send the container's terminal")
        }
        let started = try await command(["start", id])
        guard started.status.code == 0 else {
            relay.release()
            throw startFailure(started.output)
        }
        relay.release()
        guard let main = state.withLock({ $0.adopted[initPID] }) else {
            throw RunError.startFailed("lost the container's process")
        }
        return OCIRuntimeProcess(sandbox: self, main: main, output: outputPump, errors: relay)
    }

    private func startFailure(_ message: String) -> RunError {
        state.withLock { $0.runtimeLog = message }
        return RunError.startFailed(OCIRuntime.startFailure(message))
    }

    func signal(_ signal: Int32) async throws {
        let result = try await command(["kill", id, "\(signal)"])
        if result.status.code != 0 {
            logger.debug("\(tool) kill \(signal): \(result.output)")
        }
    }

    func resize(_ size: WindowSize) {
        guard let master = state.withLock({ $0.terminal }) else { return }
        setWindowSize(master, size)
    }

    private func setWindowSize(_ fd: Int32, _ size: WindowSize) {
        var ws = winsize(ws_row: size.rows, ws_col: size.columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(fd, UInt(TIOCSWINSZ), &ws)
    }

    func hostProcessIDs() -> [Int32] {
        state.withLock { Array($0.adopted.keys) }
    }

    var diagnostics: String {
        let log = state.withLock { $0.runtimeLog }
        return log.isEmpty ? "" : "--- \(tool) said ---\n\(log)\n--- end ---"
    }

    func delete() async {
        let (created, first) = state.withLock { s -> (Bool, Bool) in
            defer { s.deleted = true }
            return (s.created, !s.deleted)
        }
        guard first, created else { return }
        if let result = try? await command(["delete", "--force", id]), result.status.code != 0 {
            logger.debug("\(tool) delete: \(result.output)")
        }
        // delete kills what is left; reap it. Whatever still lives afterwards is killed.
        let (adopted, pumps, terminal) = state.withLock { ($0.adopted, $0.pumps, $0.terminal) }
        for (pid, task) in adopted {
            let done = Task { await task.value }
            let reaped = await withTaskGroup(of: Bool.self) { group in
                group.addTask { _ = await done.value; return true }
                group.addTask { try? await Task.sleep(for: .seconds(5)); return false }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            if !reaped {
                logger.warning("\(tool): process \(pid) outlived delete; killing it")
                kill(pid, SIGKILL)
                _ = await task.value
            }
        }
        for pump in pumps { await pump.waitForEnd(within: .seconds(2)) }
        if let terminal { close(terminal) }
    }
}

/// The container's main process under runc/runsc.
struct OCIRuntimeProcess: ContainerProcess {
    let sandbox: OCIRuntimeSandbox
    let main: Task<Int32, Never>
    let output: DescriptorPump?
    let errors: DescriptorPump

    func wait() async throws -> ExitStatus {
        let status = await main.value
        // Output still in flight: the pty drains to EOF once the process is gone; the
        // stderr pipe may also be held by runsc's gofer until delete.
        await output?.waitForEnd(within: .seconds(2))
        await errors.waitForEnd(within: .milliseconds(200))
        return ChildProcess.exitStatus(status)
    }

    func signal(_ signal: Int32) async throws {
        try await sandbox.signal(signal)
    }

    func resize(_ size: WindowSize) async throws {
        sandbox.resize(size)
    }
}
