import Foundation
import Glibc
import HullAPI
@testable import HullDaemon
@testable import HullEngine
import HullProtocol
import HullRuntime
import Logging
import Testing

/// hulld's container lifecycle against FakeDriver: the same ContainerManager code paths as
/// with real runtimes (state store, logs, waiters, locks, recovery), without any of them.
@Suite("container lifecycle against a fake driver")
struct LifecycleTests {
    let home: URL
    let rootfs: URL
    let world = FakeWorld()
    let store: StateStore
    let manager: ContainerManager

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("hull-lifecycle-\(UUID().uuidString.prefix(8))")
        rootfs = home.appendingPathComponent("rootfs")
        try FileManager.default.createDirectory(at: rootfs.appendingPathComponent("bin"), withIntermediateDirectories: true)
        store = try StateStore()
        manager = ContainerManager(store: store, paths: HullPaths(home: home), unavailableModes: [:], logger: Logger(label: "test"),
                                   defaultIsolation: .process, makeDriver: world.driver)
    }

    func create(_ name: String, autoRemove: Bool = false) throws -> String {
        let request = CreateContainerRequest(image: rootfs.path, command: ["/bin/app"], name: name, autoRemove: autoRemove,
                                             isolation: "process", rootfs: rootfs.path)
        return try manager.create(request.spec).id
    }

    func output(_ id: String) async throws -> String {
        var text = ""
        for await frame in try manager.logStream(id, query: LogQuery()) { text += String(decoding: frame.payload, as: UTF8.self) }
        return text
    }

    @Test("create → start → wait: the exit code, the output in the log, the record exited")
    func runToExit() async throws {
        let id = try create("exit-3")
        #expect(try manager.record(id).state == .created)
        try await manager.start(id)
        let result = try await manager.wait(id)
        #expect(result.exitCode == 3)
        #expect(try await output(id) == "hello from exit-3\n")
        let record = try manager.record(id)
        #expect(record.state == .exited && record.exitCode == 3 && record.finishedAt != nil)
        await #expect(throws: EngineError.self) { try await manager.kill(id, signal: SIGTERM) }
        try FileManager.default.removeItem(at: home)
    }

    @Test("stop: SIGTERM when the process honours it (143); SIGKILL after the grace when it does not (137)")
    func stop() async throws {
        let polite = try create("term-1")
        try await manager.start(polite)
        try await manager.stop(polite, timeout: 30)
        #expect(try manager.record(polite).exitCode == 143)
        #expect(world.signals("term-1") == [SIGTERM])

        let deaf = try create("deaf-1")
        try await manager.start(deaf)
        try await manager.stop(deaf, timeout: 0.1)
        #expect(try manager.record(deaf).exitCode == 137)
        #expect(world.signals("deaf-1") == [SIGTERM, SIGKILL])
        // Stopping what is stopped is fine, as with Docker.
        try await manager.stop(deaf, timeout: 0)
        try FileManager.default.removeItem(at: home)
    }

    @Test("restart starts the same container again; start of a running one is a conflict")
    func restart() async throws {
        let id = try create("term-2")
        try await manager.start(id)
        await #expect(throws: EngineError.conflict("container term-2 is already running")) { try await manager.start(id) }
        try await manager.restart(id, timeout: 5)
        #expect(world.started("term-2") == 2)
        #expect(try manager.record(id).state == .running)
        try await manager.remove(id, force: true)
        try FileManager.default.removeItem(at: home)
    }

    @Test("rm: refused while running; -f ends it, waiters hear 137, the record and files are gone")
    func remove() async throws {
        let id = try create("term-3")
        try await manager.start(id)
        await #expect(throws: EngineError.self) { try await manager.remove(id, force: false) }
        async let waited = manager.wait(id)
        try await manager.remove(id, force: true)
        #expect(try await waited.exitCode == 137)
        #expect(throws: EngineError.noSuchContainer(id)) { try manager.record(id) }
        #expect(!FileManager.default.fileExists(atPath: manager.containerDirectory(id).path))
        #expect(!FileManager.default.fileExists(atPath: HullPaths(home: home).runDirectory(id: String(id.prefix(12))).path))
        try FileManager.default.removeItem(at: home)
    }

    @Test("--rm: gone once it exited; a late wait still gets the status")
    func autoRemove() async throws {
        let id = try create("exit-7", autoRemove: true)
        try await manager.start(id)
        #expect(try await manager.wait(id).exitCode == 7)
        #expect(throws: EngineError.self) { try manager.record(id) }
        #expect(try await manager.wait(id).exitCode == 7, "from the tombstone")
        try FileManager.default.removeItem(at: home)
    }

    @Test("--rm: a waiter that comes once the log ended hears of the exit only after the removal")
    func autoRemoveWaitAfterLog() async throws {
        // `hull run --rm` follows the log to its end, then waits: between the exit being
        // stored and the removal, wait must not answer (CI saw a run folder left behind).
        for round in 0..<20 {
            let id = try create("exit-9-\(round)", autoRemove: true)
            try await manager.start(id)
            _ = try await output(id)
            let result = try await manager.wait(id)
            #expect(result.exitCode == 9)
            #expect((try? store.find(id)) == nil, "the record outlived the wait (round \(round))")
            #expect(!FileManager.default.fileExists(atPath: HullPaths(home: home).runDirectory(id: String(id.prefix(12))).path))
        }
        try FileManager.default.removeItem(at: home)
    }

    @Test("a new engine over the same state takes over a container that outlives it; stop then reaches it")
    func takeOver() async throws {
        let world = FakeWorld(outlivesHull: true)
        let first = ContainerManager(store: store, paths: HullPaths(home: home), unavailableModes: [:], logger: Logger(label: "test"),
                                     defaultIsolation: .process, makeDriver: world.driver)
        let request = CreateContainerRequest(image: rootfs.path, command: ["/bin/app"], name: "term-6", isolation: "process",
                                             rootfs: rootfs.path)
        let id = try first.create(request.spec).id
        try await first.start(id)
        let next = ContainerManager(store: store, paths: HullPaths(home: home), unavailableModes: [:], logger: Logger(label: "test"),
                                    defaultIsolation: .process, makeDriver: world.driver)
        await next.reconcile()
        #expect(try next.record(id).state == .running)
        try await next.stop(id, timeout: 5)
        #expect(try next.record(id).exitCode == 143)
        #expect(world.signals("term-6") == [SIGTERM])
        try FileManager.default.removeItem(at: home)
    }

    @Test("a new hulld over the same state: a running container of a mode that does not outlive hulld is recorded as exited, saying why")
    func recovery() async throws {
        let id = try create("term-4")
        try await manager.start(id)
        let next = ContainerManager(store: store, paths: HullPaths(home: home), unavailableModes: [:], logger: Logger(label: "test"),
                                    defaultIsolation: .process, makeDriver: world.driver)
        await next.reconcile()
        let record = try next.record(id)
        #expect(record.state == .exited)
        #expect(record.exitCode == 137)
        #expect(record.exitReason?.contains("ends with the hulld that ran it") == true, "\(record.exitReason ?? "")")
        try await manager.remove(id, force: true)
        try FileManager.default.removeItem(at: home)
    }
}
