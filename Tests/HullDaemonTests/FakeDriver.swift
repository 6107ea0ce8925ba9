import Foundation
import Glibc
@testable import HullDaemon
@testable import HullEngine
import HullProtocol
import HullRuntime
import Synchronization

/// An isolation driver that runs nothing: each container's "process" writes a line and
/// then exits as its name says, so the lifecycle (create, start, stop, wait, rm,
/// restart, recovery) is tested in milliseconds without runc, runsc or guests.
///
/// Names: `exit-N` exits with N at once; `term-…` runs until SIGTERM (exits by it);
/// `deaf-…` ignores SIGTERM and ends only with SIGKILL.
final class FakeWorld: Sendable {
    let starts = Mutex<[String: Int]>([:])
    let signals = Mutex<[String: [Int32]]>([:])
    /// Whether containers run on when the engine that started them goes (as guests do).
    let outlivesHull: Bool
    /// The sandboxes of this world by container name, for a later engine to take over.
    let sandboxes = Mutex<[String: FakeSandbox]>([:])

    init(outlivesHull: Bool = false) {
        self.outlivesHull = outlivesHull
    }

    var driver: ContainerManager.DriverMaker {
        { mode, _, _, _ in FakeDriver(mode: mode, world: self) }
    }

    func started(_ name: String) -> Int { starts.withLock { $0[name] ?? 0 } }
    func signals(_ name: String) -> [Int32] { signals.withLock { $0[name] ?? [] } }
}

struct FakeDriver: IsolationDriver {
    let mode: IsolationMode
    let world: FakeWorld
    var rootfsForm: RootfsForm { .directory }
    var outlivesHull: Bool { world.outlivesHull }
    func helperSource(_ directory: HelperDirectory) -> String { "/nonexistent" }
    func volumeSource(hostPath: String, index: Int) -> String { hostPath }
    func etcFileSource(_ name: String, runDirectory: URL) -> String { runDirectory.appendingPathComponent("etc/\(name)").path }
    func adapt(_ spec: inout RuntimeSpec) {}
    func createSandbox(bundle: OCIBundle, name: String) async throws -> any Sandbox {
        let sandbox = FakeSandbox(name: name, world: world)
        world.sandboxes.withLock { $0[name] = sandbox }
        return sandbox
    }
    func removeLeftovers(of name: String, bundle directory: URL) async {}

    /// A world whose containers outlive the engine gives back the running ones.
    func takeOver(_ leftover: Leftover, output: TakeoverOutput) async -> Takeover {
        guard world.outlivesHull else { return .exited(code: 137, reason: "hulld restarted: it ends with the hulld that ran it") }
        guard let sandbox = world.sandboxes.withLock({ $0[leftover.name] }), let process = sandbox.main.withLock({ $0 }),
              (try? output()) != nil else {
            return .exited(code: 137, reason: "gone while hulld was down")
        }
        return .running(sandbox, process)
    }
}

final class FakeSandbox: Sandbox {
    let name: String
    let world: FakeWorld
    let main = Mutex<FakeProcess?>(nil)

    init(name: String, world: FakeWorld) {
        self.name = name
        self.world = world
    }

    func start(stdio: ProcessStdio) async throws -> any ContainerProcess {
        world.starts.withLock { $0[name, default: 0] += 1 }
        let line = Array("hello from \(name)\n".utf8)
        _ = line.withUnsafeBytes { write(stdio.stdout, $0.baseAddress, $0.count) }
        let process = FakeProcess(name: name, world: world)
        main.withLock { $0 = process }
        if name.hasPrefix("exit-"), let code = Int32(name.dropFirst(5).prefix { $0.isNumber }) {
            process.end(ExitStatus(code: code))
        }
        return process
    }

    func exec(_ process: ExecProcess, stdio: ProcessStdio) async throws -> any ContainerProcess {
        throw SandboxError.unsupported("exec", mode: .process)
    }

    func runTool(_ argv: [String], cwd: String, stdio: ProcessStdio) async throws -> any ContainerProcess {
        throw SandboxError.unsupported("tools", mode: .process)
    }

    func processTable() async throws -> ProcessTable? { nil }
    func cgroupUsage() async throws -> CgroupUsage? { nil }
    func destroy() async { main.withLock { $0 }?.end(ExitStatus(signal: SIGKILL)) }
    func hostProcessIDs() -> [Int32] { [] }
    var diagnostics: String { "" }
    func delete() async {}
}

final class FakeProcess: ContainerProcess {
    let name: String
    let world: FakeWorld
    private let status = Mutex<ExitStatus?>(nil)
    private let ended = OneShotEvent()

    init(name: String, world: FakeWorld) {
        self.name = name
        self.world = world
    }

    func end(_ exit: ExitStatus) {
        let first = status.withLock { s -> Bool in
            guard s == nil else { return false }
            s = exit
            return true
        }
        if first { ended.fire() }
    }

    var resumableStream: UInt32? { nil }

    func wait() async throws -> ExitStatus {
        while !(await ended.wait(for: .seconds(3600))) {}
        return status.withLock { $0 } ?? ExitStatus(code: 255)
    }

    func signal(_ signal: Int32) async throws {
        world.signals.withLock { $0[name, default: []].append(signal) }
        if signal == SIGKILL || (signal == SIGTERM && !name.hasPrefix("deaf-")) { end(ExitStatus(signal: signal)) }
    }

    func resize(_ size: WindowSize) async throws {}
}
