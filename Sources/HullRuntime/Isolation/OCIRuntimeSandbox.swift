import CHullRuntime
import Foundation
import Glibc
import HullProtocol
import Logging
import Synchronization

/// One container under runc or runsc. The runtime container is created and started in
/// `start` because the runtime hands the container its stdio at creation.
final class OCIRuntimeSandbox: Sandbox {
    let tool: String
    let runtime: OCIRuntime
    let arguments: [String]
    let id: String
    let bundle: OCIBundle
    let logger: Logger
    let state = Mutex(State())

    struct State {
        var created = false
        var deleted = false
        /// Host processes hull reaps: the container's init (runc) or runsc's sandbox and
        /// gofer, and every exec's process (runc) or waiter (runsc).
        var adopted: [pid_t: Task<Int32, Never>] = [:]
        var terminals: [RuntimeTerminal] = []
        var pumps: [DescriptorPump] = []
        var runtimeLog = ""
        var execCount = 0
    }

    init(tool: String, runtime: OCIRuntime, arguments: [String], id: String, bundle: OCIBundle, logger: Logger) {
        self.tool = tool
        self.runtime = runtime
        self.arguments = arguments
        self.id = id
        self.bundle = bundle
        self.logger = logger
    }

    func command(_ words: [String]) async throws -> (status: ExitStatus, output: String) {
        try await ChildProcess.run(tool, arguments + words)
    }

    /// A runtime command that leaves a process running (`create`, `exec --detach`) and
    /// writes its pid to `pidFile`: its stdio becomes the process's, or a pty when
    /// `terminal` (received on a console socket and pumped to `stdio`). The runtime's own
    /// stderr is held back until `errors` is released, so a failure is reported as an
    /// error and not as container output.
    struct Launched {
        let pid: pid_t
        let terminal: RuntimeTerminal?
        let output: DescriptorPump?
        let errors: DescriptorPump
    }

    func launch(_ words: [String], name: String, terminal: Bool, consoleSize: RuntimeSpec.ConsoleSize?,
                stdio: ProcessStdio) async throws -> Launched {
        let pidFile = bundle.directory.appendingPathComponent("\(name).pid").path
        unlink(pidFile)
        let console = terminal ? try ConsoleSocket(path: bundle.directory.appendingPathComponent("\(name).sock").path) : nil
        var errors: [Int32] = [0, 0]
        guard hull_pipe_cloexec(&errors) == 0 else { throw ChildProcessError(what: "pipe", code: errno) }
        let relay = DescriptorPump(from: errors[0], to: stdio.stderr, mode: .hold, closeSource: true, name: "hull-stderr-\(id)")
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devNull) }
        state.withLock { $0.pumps.append(relay) }

        async let received: Int32? = console?.receiveTerminal(timeout: .seconds(30))
        var all = words + ["--pid-file", pidFile]
        if let console { all += ["--console-socket", console.path] }
        let launcher: pid_t
        do {
            launcher = try ChildProcess.spawn(
                tool, arguments + all + [id], stdin: console == nil ? (stdio.stdin ?? devNull) : devNull,
                stdout: console == nil ? stdio.stdout : devNull, stderr: errors[1])
        } catch {
            close(errors[1])
            console?.cancel()
            _ = await received
            throw error
        }
        close(errors[1])
        state.withLock { $0.created = true }
        let launched = ChildProcess.exitStatus(await ChildProcess.wait(launcher))
        if launched.code != 0 { console?.cancel() }
        let master = await received
        let terminal = master.map(RuntimeTerminal.init)
        if let terminal { state.withLock { $0.terminals.append(terminal) } }
        guard launched.code == 0 else {
            await relay.waitForEnd(within: .seconds(2))
            throw startFailure(relay.heldText)
        }
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw RunError.startFailed("\(tool) \(words[0]) left no pid file at \(pidFile)")
        }
        var output: DescriptorPump?
        if let master {
            output = DescriptorPump(from: master, to: stdio.stdout, mode: .forward, closeSource: false, name: "hull-tty-\(id)")
            if let input = stdio.stdin {
                _ = DescriptorPump(from: input, to: master, mode: .forward, closeSource: false, name: "hull-tty-in-\(id)")
            }
            if let consoleSize { terminal?.resize(WindowSize(rows: consoleSize.height, columns: consoleSize.width)) }
        } else if console != nil {
            throw RunError.startFailed("\(tool) \(words[0]) did not send the container's terminal")
        }
        return Launched(pid: pid, terminal: terminal, output: output, errors: relay)
    }

    /// Waits for `pids` (children of hull, which is their subreaper) from now on.
    func adopt(_ pids: Set<pid_t>) -> [pid_t: Task<Int32, Never>] {
        let waits = Dictionary(uniqueKeysWithValues: pids.map { pid in (pid, Task { await ChildProcess.wait(pid) }) })
        state.withLock { s in s.adopted.merge(waits) { old, _ in old } }
        return state.withLock { s in s.adopted.filter { pids.contains($0.key) } }
    }

    func start(stdio: ProcessStdio) async throws -> any ContainerProcess {
        let directory = bundle.directory.path
        let launched = try await launch(["create", "--bundle", directory], name: "init",
                                        terminal: bundle.spec.process.terminal == true,
                                        consoleSize: bundle.spec.process.consoleSize, stdio: stdio)
        // The container's init (runc) or runsc's sandbox and gofer are our children now.
        var pids = Set(ChildProcess.children(mentioning: directory))
        pids.insert(launched.pid)
        let waits = adopt(pids)
        let started = try await command(["start", id])
        launched.errors.release()
        guard started.status.code == 0 else { throw startFailure(started.output) }
        guard let main = waits[launched.pid] else { throw RunError.startFailed("lost the container's process") }
        return OCIRuntimeProcess(main: main, output: launched.output, errors: launched.errors, terminal: launched.terminal,
                                 signalling: .container(self))
    }

    /// Whether the OOM killer struck in the container's cgroup (runc: a process of the
    /// container; runsc: the whole sandbox, whose Sentry holds the container's memory).
    /// Read before `delete`, which removes the cgroup.
    func oomKilled() -> Bool {
        guard let path = bundle.spec.linux?.cgroupsPath else { return false }
        return (HostCgroup(path: path).oomKills() ?? 0) > 0
    }

    /// runc: the container's host cgroup; runsc: its sandbox's (Sentry, gofer), where
    /// runsc puts everything it runs for the container.
    func cgroupUsage() async throws -> CgroupUsage? {
        guard let path = bundle.spec.linux?.cgroupsPath, state.withLock({ $0.created && !$0.deleted }) else { return nil }
        return try HostCgroup(path: path).usage()
    }

    func startFailure(_ message: String) -> RunError {
        state.withLock { $0.runtimeLog = message }
        return RunError.startFailed(OCIRuntime.startFailure(message))
    }

    func signal(_ signal: Int32, internalPID: String? = nil) async throws {
        let words = ["kill"] + (internalPID.map { ["--pid", $0] } ?? []) + [id, "\(signal)"]
        let result = try await command(words)
        if result.status.code != 0 {
            logger.debug("\(tool) \(words.joined(separator: " ")): \(result.output)")
        }
    }

    /// The image's own tool, as root in the container (see `Sandbox.runTool`).
    func runTool(_ argv: [String], cwd: String, stdio: ProcessStdio) async throws -> any ContainerProcess {
        let tool = ExecProcess(args: argv, env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], cwd: cwd,
                               stdin: stdio.stdin != nil, user: RuntimeSpec.User(uid: 0, gid: 0))
        do {
            return try await exec(tool, stdio: stdio)
        } catch let error as RunError where error.exitCode == 127 {
            throw SandboxError.toolMissing(argv[0], mode: runtime.mode)
        }
    }

    func hostProcessIDs() -> [Int32] {
        state.withLock { Array($0.adopted.keys) }
    }

    var diagnostics: String {
        let log = state.withLock { $0.runtimeLog }
        return log.isEmpty ? "" : "--- \(tool) said ---\n\(log)\n--- end ---"
    }

    func destroy() async {
        guard state.withLock({ $0.created && !$0.deleted }) else { return }
        if let result = try? await command(["delete", "--force", id]), result.status.code != 0 {
            logger.debug("\(tool) delete: \(result.output)")
        }
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
        let (adopted, pumps, terminals) = state.withLock { ($0.adopted, $0.pumps, $0.terminals) }
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
        for terminal in terminals { terminal.close() }
        // Nothing of the container holds it now; a restart mounts it again.
        bundle.writable?.unmount()
    }
}

/// A process of a container under runc/runsc: the main one or an exec.
struct OCIRuntimeProcess: ContainerProcess {
    enum Signalling: Sendable {
        /// `runtime kill`: the container's init.
        case container(OCIRuntimeSandbox)
        /// A host process (runc exec): signalled directly.
        case hostProcess(pid_t)
        /// A process in runsc's kernel: `runsc kill --pid`.
        case internalProcess(OCIRuntimeSandbox, pid: String)
    }

    let main: Task<Int32, Never>
    let output: DescriptorPump?
    let errors: DescriptorPump
    let terminal: RuntimeTerminal?
    let signalling: Signalling

    var resumableStream: UInt32? { nil }

    func wait() async throws -> ExitStatus {
        let status = await main.value
        // Output still in flight: the pty drains to EOF once the process is gone; the
        // stderr pipe may also be held by runsc's gofer until delete.
        await output?.waitForEnd(within: .seconds(2))
        await errors.waitForEnd(within: .milliseconds(200))
        var exit = ChildProcess.exitStatus(status)
        if case .container(let sandbox) = signalling, sandbox.oomKilled() { exit.oomKilled = true }
        return exit
    }

    func signal(_ signal: Int32) async throws {
        switch signalling {
        case .container(let sandbox): try await sandbox.signal(signal)
        case .hostProcess(let pid): _ = Glibc.kill(pid, signal)
        case .internalProcess(let sandbox, let pid): try await sandbox.signal(signal, internalPID: pid)
        }
    }

    func resize(_ size: WindowSize) async throws {
        terminal?.resize(size)
    }
}

/// The controlling side of a container's pty (the main process's or an exec's), closed
/// once, when the sandbox is deleted: not earlier, because the pumps that copy to and from
/// it may still hold its number, and a reused descriptor number would get their bytes.
final class RuntimeTerminal: Sendable {
    private let fd: Mutex<Int32?>

    init(_ fd: Int32) {
        self.fd = Mutex(fd)
    }

    func resize(_ size: WindowSize) {
        fd.withLock { fd in
            guard let fd else { return }
            var ws = winsize(ws_row: size.rows, ws_col: size.columns, ws_xpixel: 0, ws_ypixel: 0)
            _ = ioctl(fd, UInt(TIOCSWINSZ), &ws)
        }
    }

    func close() {
        fd.withLock { fd in
            if let open = fd { Glibc.close(open) }
            fd = nil
        }
    }
}
