import Foundation
import HullAPI
import HullRuntime
import Testing
@testable import HullDaemon

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
        #expect(throws: DaemonError.self) { try SignalName.parse("NOPE") }
        #expect(throws: DaemonError.self) { try SignalName.parse("0") }
    }

    @Test("create requests are checked like hull run's flags")
    func requestMapping() throws {
        let options = try RequestMapping.options(for: CreateContainerRequest(
            image: "busybox", command: ["sh"], env: ["A=1"], tty: true, openStdin: true, memoryMiB: 100, cpus: 1.5))
        #expect(options.container.command == ["sh"] && options.container.tty && options.interactive)
        #expect(options.guest.memoryMiB == 228 && options.guest.vcpus == 2)
        #expect(options.windowSize?.rows == 24)
        for bad in [CreateContainerRequest(image: ""), CreateContainerRequest(image: "b", name: "-x"),
                    CreateContainerRequest(image: "b", memoryMiB: 8), CreateContainerRequest(image: "b", cpus: 0),
                    CreateContainerRequest(image: "b", stopTimeout: -1), CreateContainerRequest(image: "b", accel: "x")] {
            #expect(throws: DaemonError.self) { try RequestMapping.options(for: bad) }
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
                                         isolation: "process", request: CreateContainerRequest(image: "busybox"), mainStream: nil))
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
                            request: CreateContainerRequest(image: "busybox", name: name), mainStream: nil)
        }
        try store.insert(record("abc123", "one"))
        try store.insert(record("abd456", "two"))
        #expect(try store.find("one")?.id == "abc123")
        #expect(try store.find("abd")?.name == "two")
        #expect(try store.find("ab") == nil, "too short a prefix")
        #expect(try store.find("abc123")?.request.image == "busybox")
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
        #expect(throws: DaemonError.self) { try ArchivePath.split("/") }
        #expect(throws: DaemonError.self) { try ArchivePath.split("etc") }
        #expect(throws: DaemonError.self) { try ArchivePath.split("/a/..") }
    }

    @Test("create requests: isolation decoded, mode-specific flags found, limits carried for runc/runsc")
    func isolationInRequests() throws {
        let body = #"{"image":"busybox","isolation":"gvisor","accel":"tcg","bootTimeout":5,"memoryMiB":64,"cpus":1.5}"#
        let request = try JSONDecoder().decode(CreateContainerRequest.self, from: Data(body.utf8))
        #expect(request.isolation == "gvisor")
        #expect(RequestMapping.modeSpecificFlags(of: request) == [.accel, .bootTimeout])
        let options = try RequestMapping.options(for: request)
        #expect(options.container.memoryMiB == 64 && options.container.cpus == 1.5)
        let minimal = try JSONDecoder().decode(CreateContainerRequest.self, from: Data(#"{"image":"busybox"}"#.utf8))
        #expect(minimal.isolation == nil)
        #expect(RequestMapping.modeSpecificFlags(of: minimal).isEmpty)
    }
}
