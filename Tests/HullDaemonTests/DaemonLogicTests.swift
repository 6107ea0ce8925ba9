import Foundation
import GRDB
import HullAPI
import HullRuntime
import Testing
@testable import HullDaemon
@testable import HullEngine

@Suite("hulld pure logic")
struct DaemonLogicTests {
    @Test("output frames: encode, decode in pieces, bounded")
    func outputFrames() throws {
        let bytes = OutputFrame(stream: .stderr, payload: Array("hi".utf8)).encoded()
            + OutputFrame(stream: .stdout, payload: []).encoded()
        var decoder = OutputFrameDecoder()
        var frames: [OutputFrame] = []
        for byte in bytes {
            decoder.append([byte])
            while let f = try decoder.next() { frames.append(f) }
        }
        #expect(frames == [OutputFrame(stream: .stderr, payload: Array("hi".utf8)), OutputFrame(stream: .stdout, payload: [])])
        var bad = OutputFrameDecoder()
        bad.append([9, 0, 0, 0, 0, 0, 0, 0])
        #expect(throws: OutputFrameError.badStream(9)) { try bad.next() }
        var big = OutputFrameDecoder()
        big.append([1, 0, 0, 0, 0xff, 0, 0, 0])
        #expect(throws: OutputFrameError.tooLarge(0xff00_0000)) { try big.next() }
    }

    @Test("signal names")
    func signals() throws {
        #expect(try SignalName.parse("TERM") == 15)
        #expect(try SignalName.parse("sigkill") == 9)
        #expect(try SignalName.parse("10") == 10)
        #expect(throws: EngineError.self) { try SignalName.parse("NOPE") }
        #expect(throws: EngineError.self) { try SignalName.parse("0") }
    }

    @Test("create requests are checked like hull run's flags")
    func requestMapping() throws {
        let options = try SpecMapping.options(for: CreateContainerRequest(
            image: "busybox", command: ["sh"], env: ["A=1"], tty: true, openStdin: true, memoryMiB: 100, cpus: 1.5).spec)
        #expect(options.container.command == ["sh"] && options.container.tty && options.interactive)
        #expect(options.guest.memoryMiB == 228 && options.guest.vcpus == 2)
        #expect(options.windowSize?.rows == 24)
        for bad in [CreateContainerRequest(image: ""), CreateContainerRequest(image: "b", name: "-x"),
                    CreateContainerRequest(image: "b", memoryMiB: 8), CreateContainerRequest(image: "b", cpus: 0),
                    CreateContainerRequest(image: "b", stopTimeout: -1), CreateContainerRequest(image: "b", accel: "x")] {
            #expect(throws: EngineError.self) { try SpecMapping.options(for: bad.spec) }
        }
    }

    /// The race scripts/api-fuzz.sh found (a restart hung forever): stop read the record as
    /// running, the exit watcher stored the exit, stop wrote "stopping" over it. Both now
    /// change the record in one transaction, so the later one sees the earlier's change.
    @Test("an exit stored while a stop decides is never overwritten by it")
    func exitBeatsStop() throws {
        let store = try StateStore()
        try store.insert(ContainerRecord(id: "c1", name: "c1", image: "busybox", state: .running, createdAt: Date(),
                                         startedAt: Date(), finishedAt: nil, exitCode: nil, exitReason: nil, domain: "",
                                         isolation: "process", spec: ContainerSpec(image: "busybox"), mainStream: nil))
        // The exit watcher first…
        _ = try store.update(id: "c1") { record -> ContainerRecord in
            record.state = .exited
            record.exitCode = 0
            record.finishedAt = Date()
            return record
        }
        // …then the stop, as ContainerManager.stop decides: only a running container.
        let stopping = try store.update(id: "c1") { record -> Bool in
            guard record.state == .running else { return false }
            record.state = .stopping
            return true
        }
        #expect(stopping == false)
        #expect(try store.find("c1")?.state == .exited)
        #expect(try store.find("c1")?.exitCode == 0)
        #expect(try store.update(id: "nosuch") { _ in true } == nil)
    }

    @Test("state store: find by id, unique prefix or name; names unique; states kept")
    func stateStore() throws {
        let store = try StateStore()
        func record(_ id: String, _ name: String) -> ContainerRecord {
            ContainerRecord(id: id, name: name, image: "busybox", state: .created, createdAt: Date(), startedAt: nil,
                            finishedAt: nil, exitCode: nil, exitReason: nil, domain: "hull-\(name)", isolation: "vm",
                            spec: ContainerSpec(image: "busybox", name: name), mainStream: nil)
        }
        try store.insert(record("abc123", "one"))
        try store.insert(record("abd456", "two"))
        #expect(try store.find("one")?.id == "abc123")
        #expect(try store.find("abd")?.name == "two")
        #expect(try store.find("ab") == nil, "too short a prefix")
        #expect(try store.find("abc123")?.spec.image == "busybox")
        #expect(throws: (any Error).self) { try store.insert(record("fff", "one")) }
        var r = try #require(try store.find("one"))
        r.state = .exited
        r.exitCode = 3
        try store.save(r)
        #expect(try store.find("one")?.state == .exited && store.find("one")?.exitCode == 3)
        try store.delete(id: "abc123")
        #expect(try store.find("one") == nil)
    }

    @Test("guest tool output: ps without kernel threads, meminfo, archive paths")
    func parsers() throws {
        let top = TopParser.parse("""
            PID   PPID  USER     STAT   VSZ  RSS COMMAND
                1     0 0        S     466m 7664 /sbin/hull-agent
                2     0 0        SW       0    0 [kthreadd]
                3     2 0        IW<      0    0 [rcu_gp]
               83     1 0        S     2260    4 sh -c sleep 1
            """)
        #expect(top.titles == ["PID", "PPID", "USER", "STAT", "VSZ", "RSS", "COMMAND"])
        #expect(top.processes.map { $0[0] } == ["1", "83"])
        #expect(top.processes[1].last == "sh -c sleep 1")
        let (total, available) = MeminfoParser.parse("MemTotal:  1000 kB\nMemFree: 10 kB\nMemAvailable:  400 kB\n")
        #expect(total == 1_024_000 && available == 409_600)
        #expect(try ArchivePath.split("/etc/hostname") == ("/etc", "hostname"))
        #expect(try ArchivePath.split("/tmp/") == ("/", "tmp"))
        #expect(throws: EngineError.self) { try ArchivePath.split("/") }
        #expect(throws: EngineError.self) { try ArchivePath.split("etc") }
        #expect(throws: EngineError.self) { try ArchivePath.split("/a/..") }
    }

    @Test("create requests: isolation decoded, mode-specific flags found, limits carried for runc/runsc")
    func isolationInRequests() throws {
        let body = #"{"image":"busybox","isolation":"gvisor","accel":"tcg","bootTimeout":5,"memoryMiB":64,"cpus":1.5}"#
        let request = try JSONDecoder().decode(CreateContainerRequest.self, from: Data(body.utf8))
        #expect(request.isolation == "gvisor")
        #expect(SpecMapping.modeSpecificFlags(of: request.spec) == [.accel, .bootTimeout])
        let options = try SpecMapping.options(for: request.spec)
        #expect(options.container.memoryMiB == 64 && options.container.cpus == 1.5)
        let minimal = try JSONDecoder().decode(CreateContainerRequest.self, from: Data(#"{"image":"busybox"}"#.utf8))
        #expect(minimal.isolation == nil)
        #expect(SpecMapping.modeSpecificFlags(of: minimal.spec).isEmpty)
    }
}

@Suite("state store migrations")
struct StateMigrationTests {
    @Test("v4: a record stored with hulld's wire body (v1–v3) reads back as the same ContainerSpec")
    func requestBecomesSpec() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hull-migrate-\(UUID().uuidString.prefix(8)).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let old = try DatabaseQueue(path: path)
        try StateStore.migrator.migrate(old, upTo: "v3: oomKilled")
        let body = #"{"image":"busybox","command":["sh","-c","exit 3"],"env":["A=1"],"tty":true,"openStdin":false,"#
            + #""readOnly":false,"tmpfs":["/run"],"noNewPrivileges":false,"memoryMiB":128,"pidsLimit":50,"accel":"tcg","#
            + #""autoRemove":true,"isolation":"vm","kernelArgs":["quiet"],"foreground":false,"#
            + #""mounts":[{"type":"volume","source":"data","target":"/data","readOnly":true}],"#
            + #""ulimits":[{"name":"nofile","soft":256,"hard":512}]}"#
        try old.write { db in
            try db.execute(sql: """
                INSERT INTO container (id, name, image, state, createdAt, domain, isolation, request, oomKilled)
                VALUES ('c1', 'web', 'busybox', 'exited', '2026-12-01 10:00:00.000', 'hull-web', 'vm', ?, 0)
                """, arguments: [body])
        }
        try old.close()
        let store = try StateStore(path: path)
        let spec = try #require(try store.find("web")).spec
        #expect(spec.process.command == ["sh", "-c", "exit 3"] && spec.process.env == ["A=1"] && spec.process.tty)
        #expect(spec.limits.memoryMiB == 128 && spec.limits.pidsLimit == 50 && spec.guest.accel == "tcg")
        #expect(spec.autoRemove && spec.isolation == "vm" && spec.guest.kernelArgs == ["quiet"] && spec.tmpfs == ["/run"])
        #expect(spec.mounts == [MountSpec(type: .volume, source: "data", target: "/data", readOnly: true)])
        #expect(spec.process.ulimits == [UlimitSpec(name: "nofile", soft: 256, hard: 512)])
        #expect(CreateContainerRequest(spec: spec).spec == spec, "the wire body and the spec map both ways")
    }
}

@Suite("Hull's API face: engine errors as HTTP")
struct EngineErrorHTTPTests {
    @Test("each engine error code is one status; the cause stays with the error, not in its equality")
    func statuses() {
        let table: [(EngineError, Int)] = [(.notFound("x"), 404), (.conflict("x"), 409), (.invalid("x"), 400),
                                           (.tooLarge("x"), 413), (.failed("x"), 500), (.unsupported("x"), 501)]
        for (error, status) in table { #expect(error.httpStatus == status, "\(error.code)") }
        struct Underlying: Error {}
        let failed = EngineError.failed("boom", cause: Underlying())
        #expect(failed.cause is Underlying && failed == .failed("boom") && failed.description == "boom")
    }
}
