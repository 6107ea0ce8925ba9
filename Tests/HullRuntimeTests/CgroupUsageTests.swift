import Foundation
import HullProtocol
@testable import HullRuntime
import Logging
import Testing

/// `Sandbox.cgroupUsage`'s parser: cgroup v2 texts (a guest's answer or a unified host)
/// and v1 files, bounded, total over garbage; the host files behind it; the agent's
/// `cgroupUsage` answer on the host side of a session.
@Suite("cgroup usage: bounded parsing of cgroup files")
struct CgroupUsageTests {
    /// What a guest's kernel writes for a container at `-m 128m --pids-limit 64`.
    static let v2 = CgroupFiles(
        memoryCurrent: "2715648\n", memoryMax: "134217728\n", pidsCurrent: "3\n", pidsMax: "64\n",
        cpuStat: "usage_usec 48213\nuser_usec 21004\nsystem_usec 27209\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n")

    func files(_ change: (inout CgroupFiles) -> Void) -> CgroupFiles {
        var files = Self.v2
        change(&files)
        return files
    }

    func expectMalformed(_ file: String, _ files: CgroupFiles, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let usage = try CgroupUsage.parse(files)
            Issue.record("parsed \(usage) from \(files)", sourceLocation: sourceLocation)
        } catch {
            guard case .malformed(let named, _) = error else {
                Issue.record("\(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(named == file, sourceLocation: sourceLocation)
        }
    }

    @Test("a guest's cgroup v2 files: every figure, limits as numbers")
    func wellFormed() throws {
        let usage = try CgroupUsage.parse(Self.v2)
        #expect(usage == CgroupUsage(memoryCurrentBytes: 2_715_648, memoryMaxBytes: 134_217_728, pidsCurrent: 3, pidsMax: 64,
                                     cpuUsageMicroseconds: 48213))
        // No trailing newline, spaces around: still the kernel's numbers.
        let bare = files { $0.memoryCurrent = "  7 "; $0.pidsCurrent = "0"; $0.cpuStat = "usage_usec 0" }
        #expect(try CgroupUsage.parse(bare).memoryCurrentBytes == 7)
        #expect(try CgroupUsage.parse(bare).cpuUsageMicroseconds == 0)
    }

    @Test("\"max\" is no limit, for memory.max and pids.max only")
    func max() throws {
        let unlimited = try CgroupUsage.parse(files { $0.memoryMax = "max\n"; $0.pidsMax = "max\n" })
        #expect(unlimited.memoryMaxBytes == nil)
        #expect(unlimited.pidsMax == nil)
        #expect(unlimited.memoryCurrentBytes == 2_715_648)
        expectMalformed("memory.current", files { $0.memoryCurrent = "max\n" })
        expectMalformed("pids.current", files { $0.pidsCurrent = "max" })
        expectMalformed("memory.max", files { $0.memoryMax = "MAX\n" })
        expectMalformed("pids.max", files { $0.pidsMax = "max max\n" })
        expectMalformed("cpu.stat", files { $0.cpuStat = "usage_usec max\n" })
    }

    @Test("huge numbers: UInt64.max is read, one more (or 21 digits) is refused, never wrapped")
    func huge() throws {
        let top = try CgroupUsage.parse(files { $0.memoryCurrent = "18446744073709551615\n"; $0.memoryMax = "18446744073709551615" })
        #expect(top.memoryCurrentBytes == UInt64.max)
        #expect(top.memoryMaxBytes == UInt64.max)
        expectMalformed("memory.current", files { $0.memoryCurrent = "18446744073709551616\n" })
        expectMalformed("memory.max", files { $0.memoryMax = "99999999999999999999\n" })
        expectMalformed("pids.current", files { $0.pidsCurrent = "000000000000000000001" })
        expectMalformed("pids.max", files { $0.pidsMax = String(repeating: "9", count: 4000) })
        expectMalformed("cpu.stat", files { $0.cpuStat = "usage_usec 184467440737095516150\n" })
    }

    @Test("garbage in any file is refused by name: signs, fractions, other digits, control bytes, empty")
    func garbage() {
        let bad = ["", "\n", " ", "-1", "+5", "1.5", "1e9", "0x10", "12abc", "1 2", "\u{0}", "1\u{0}", "٣", "１２",
                   "\u{1B}[2J", "NaN", "∞", "usage_usec 5"]
        for text in bad {
            expectMalformed("memory.current", files { $0.memoryCurrent = text })
            expectMalformed("memory.max", files { $0.memoryMax = text })
            expectMalformed("pids.current", files { $0.pidsCurrent = text })
            expectMalformed("pids.max", files { $0.pidsMax = text })
        }
        for text in ["", "usage_usec\n", "usage_usec -3\n", "usage_usec 1 2\n", "usage_usec=5\n", "USAGE_USEC 5\n", "usage_usec\t5\n"] {
            expectMalformed("cpu.stat", files { $0.cpuStat = text })
        }
    }

    @Test("missing lines: cpu.stat without usage_usec, or with it past the lines looked at")
    func missingLines() throws {
        expectMalformed("cpu.stat", files { $0.cpuStat = "user_usec 1\nsystem_usec 2\n" })
        let late = String(repeating: "nr_periods 0\n", count: HostCgroup.maxLines) + "usage_usec 9\n"
        expectMalformed("cpu.stat", files { $0.cpuStat = late })
        let inTime = String(repeating: "nr_periods 0\n", count: HostCgroup.maxLines - 1) + "usage_usec 9\n"
        #expect(try CgroupUsage.parse(files { $0.cpuStat = inTime }).cpuUsageMicroseconds == 9)
        // Blank lines and a line order other than the kernel's are fine.
        #expect(try CgroupUsage.parse(files { $0.cpuStat = "\n\nuser_usec 1\nusage_usec 4\n" }).cpuUsageMicroseconds == 4)
    }

    @Test("bounded: a text past maxFileBytes is refused whole, even when it starts well")
    func bounded() throws {
        let long = "usage_usec 5\n" + String(repeating: "x", count: CgroupUsage.maxFileBytes)
        expectMalformed("cpu.stat", files { $0.cpuStat = long })
        expectMalformed("memory.current", files { $0.memoryCurrent = "5" + String(repeating: " ", count: CgroupUsage.maxFileBytes) })
        // A megabyte (the most a frame holds) is refused at once.
        let started = ContinuousClock.now
        expectMalformed("memory.max", files { $0.memoryMax = String(repeating: "7", count: 1 << 20) })
        #expect(ContinuousClock.now - started < .seconds(1))
        let fits = "usage_usec 5\n" + String(repeating: "x", count: CgroupUsage.maxFileBytes - 13)
        #expect(try CgroupUsage.parse(files { $0.cpuStat = fits }).cpuUsageMicroseconds == 5)
    }

    @Test("random bytes in every file: a reading or an error, never a trap")
    func randomGarbage() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789 \nmaxusage_c\u{0}-+é".unicodeScalars)
        func text() -> String {
            let count = Int.random(in: 0...40, using: &rng)
            return String(String.UnicodeScalarView((0..<count).map { _ in alphabet.randomElement(using: &rng)! }))
        }
        for _ in 0..<3000 {
            let random = CgroupFiles(memoryCurrent: text(), memoryMax: text(), pidsCurrent: text(), pidsMax: text(), cpuStat: text())
            if let usage = try? CgroupUsage.parse(random) {
                // Only digits got through: the standard library reads the same number.
                #expect(UInt64(random.memoryCurrent.trimmingWhitespace) == usage.memoryCurrentBytes)
            }
            _ = try? CgroupUsage.parseV1(memoryUsage: text(), memoryLimit: text(), pidsCurrent: text(), pidsMax: text(),
                                         cpuacctUsage: text())
        }
    }

    @Test("cgroup v1: usage_in_bytes, limit_in_bytes near 2^63 is no limit, cpuacct.usage in nanoseconds")
    func v1() throws {
        let usage = try CgroupUsage.parseV1(memoryUsage: "4194304\n", memoryLimit: "9223372036854771712\n", pidsCurrent: "1\n",
                                            pidsMax: "max\n", cpuacctUsage: "12345678\n")
        #expect(usage == CgroupUsage(memoryCurrentBytes: 4_194_304, memoryMaxBytes: nil, pidsCurrent: 1, pidsMax: nil,
                                     cpuUsageMicroseconds: 12345))
        // 64 KiB pages: PAGE_COUNTER_MAX is a little lower, still no limit.
        #expect(try CgroupUsage.parseV1(memoryUsage: "0", memoryLimit: "9223372036854710272", pidsCurrent: "0", pidsMax: "50",
                                        cpuacctUsage: "999").memoryMaxBytes == nil)
        let limited = try CgroupUsage.parseV1(memoryUsage: "0", memoryLimit: "134217728", pidsCurrent: "0", pidsMax: "50",
                                              cpuacctUsage: "999")
        #expect(limited.memoryMaxBytes == 134_217_728)
        #expect(limited.pidsMax == 50)
        #expect(limited.cpuUsageMicroseconds == 0)
        #expect(throws: CgroupUsageError.malformed(file: "memory.limit_in_bytes", why: "not a decimal number of at most 20 digits that fits 64 bits")) {
            try CgroupUsage.parseV1(memoryUsage: "0", memoryLimit: "max", pidsCurrent: "0", pidsMax: "50", cpuacctUsage: "1")
        }
        #expect(throws: CgroupUsageError.self) {
            try CgroupUsage.parseV1(memoryUsage: "0", memoryLimit: "1", pidsCurrent: "0", pidsMax: "50", cpuacctUsage: "-1")
        }
    }
}

/// `HostCgroup.usage` on cgroup trees made in a temporary directory.
@Suite("cgroup usage: the host's cgroup files")
struct HostCgroupUsageTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("hull-cgroup-\(UUID().uuidString)").path

    func write(_ files: [String: String]) throws {
        for (path, text) in files {
            let url = URL(fileURLWithPath: root + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }

    @Test("v2 (a unified root): memory.current, memory.max, pids.*, cpu.stat; nil when the cgroup does not exist")
    func unified() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(["cgroup.controllers": "cpu memory pids\n",
                   "hull/abc/memory.current": "1048576\n", "hull/abc/memory.max": "max\n",
                   "hull/abc/pids.current": "2\n", "hull/abc/pids.max": "50\n",
                   "hull/abc/cpu.stat": "usage_usec 77\nuser_usec 70\nsystem_usec 7\n"])
        let cgroup = HostCgroup(path: "/hull/abc", root: root)
        #expect(try cgroup.usage() == CgroupUsage(memoryCurrentBytes: 1 << 20, memoryMaxBytes: nil, pidsCurrent: 2, pidsMax: 50,
                                                  cpuUsageMicroseconds: 77))
        #expect(try HostCgroup(path: "/hull/gone", root: root).usage() == nil)
        // The cgroup is there but a file is not (a controller not enabled for it).
        try FileManager.default.removeItem(atPath: root + "/hull/abc/pids.current")
        #expect(throws: CgroupUsageError.unreadable(file: root + "/hull/abc/pids.current")) { try cgroup.usage() }
    }

    @Test("v1 (one hierarchy per controller): memory, pids, cpuacct; an overlong file is refused, not cut")
    func perController() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(["memory/hull/abc/memory.usage_in_bytes": "8192\n", "memory/hull/abc/memory.limit_in_bytes": "134217728\n",
                   "pids/hull/abc/pids.current": "1\n", "pids/hull/abc/pids.max": "max\n",
                   "cpuacct/hull/abc/cpuacct.usage": "5000000\n"])
        let cgroup = HostCgroup(path: "/hull/abc", root: root)
        #expect(try cgroup.usage() == CgroupUsage(memoryCurrentBytes: 8192, memoryMaxBytes: 134_217_728, pidsCurrent: 1, pidsMax: nil,
                                                  cpuUsageMicroseconds: 5000))
        #expect(try HostCgroup(path: "/hull/other", root: root).usage() == nil)
        try write(["pids/hull/abc/pids.current": "1" + String(repeating: " ", count: CgroupUsage.maxFileBytes) + "\n"])
        #expect(throws: CgroupUsageError.self) { try cgroup.usage() }
    }
}

/// The host's side of `cgroupUsage` against a scripted guest: what it sends is parsed
/// with the same bounds; an agent that predates the request reads as no reading.
@Suite("cgroup usage: the agent's answer")
struct AgentCgroupUsageTests {
    let logger = Logger(label: "test")

    /// A guest that answers hello, then `answer` to the one cgroupUsage request it expects.
    func session(_ answer: @escaping @Sendable (Frame) -> [UInt8]) async throws -> (AgentConnection, FakeGuest) {
        let (host, guest) = try socketPair()
        let fake = FakeGuest(fd: guest)
        fake.run { g in
            let hello = try g.readFrame()
            try g.reply(to: hello, Response(result: HelloReply(agent: "fake", kernel: "0")))
            let request = try g.readFrame()
            try g.send(Frame(streamID: request.streamID, type: .response, payload: answer(request)))
        }
        let agent = AgentConnection(fd: host, logger: logger)
        _ = try await agent.hello(timeout: .seconds(5))
        return (agent, fake)
    }

    @Test("the request names the container's stream; the files come back as a reading")
    func answered() async throws {
        let (agent, fake) = try await session { request in
            let decoded = try? MessageCoding.decodeRequest(request.payload)
            guard decoded == .cgroupUsage(CgroupUsageRequest(stream: 7)) else { return MessageCoding.encode(Response<Empty>(error: "bad request")) }
            return MessageCoding.encode(Response(result: CgroupUsageTests.v2))
        }
        #expect(try await agent.cgroupUsage(stream: 7) == CgroupUsage.parse(CgroupUsageTests.v2))
        agent.close()
        fake.join()
    }

    @Test("an agent that predates the request (unknown method) gives no reading, and the session goes on")
    func olderAgent() async throws {
        let (agent, fake) = try await session { _ in
            MessageCoding.encode(Response<Empty>(error: "\(ProtocolError.malformedMessage("unknown method cgroupUsage"))"))
        }
        #expect(try await agent.cgroupUsage(stream: 1) == nil)
        agent.close()
        fake.join()
    }

    @Test("garbage or oversized files from the guest are refused as a malformed reading")
    func hostileFiles() async throws {
        let huge = String(repeating: "9", count: 512 << 10)
        let (agent, fake) = try await session { _ in
            MessageCoding.encode(Response(result: CgroupFiles(memoryCurrent: huge, memoryMax: "max", pidsCurrent: "1", pidsMax: "max",
                                                              cpuStat: "usage_usec 1")))
        }
        await #expect(throws: CgroupUsageError.malformed(file: "memory.current", why: "longer than \(CgroupUsage.maxFileBytes) bytes")) {
            try await agent.cgroupUsage(stream: 1)
        }
        agent.close()
        fake.join()
    }

    @Test("an answer of the wrong shape ends the session as a protocol violation")
    func wrongShape() async throws {
        let (agent, fake) = try await session { _ in Array(#"{"result": {"memoryCurrent": 5}}"#.utf8) }
        do {
            _ = try await agent.cgroupUsage(stream: 1)
            Issue.record("a reading from a malformed answer")
        } catch AgentError.protocolViolation {
        } catch {
            Issue.record("expected a protocol violation, got \(error)")
        }
        fake.join()
    }

    @Test("the request's wire form")
    func wire() throws {
        let bytes = MessageCoding.encode(Request.cgroupUsage(CgroupUsageRequest(stream: 5)))
        let json = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        #expect(json?["method"] as? String == "cgroupUsage")
        #expect((json?["params"] as? [String: Any])?["stream"] as? Int == 5)
        #expect(try MessageCoding.decodeRequest(bytes) == .cgroupUsage(CgroupUsageRequest(stream: 5)))
        #expect(throws: ProtocolError.self) { try MessageCoding.decodeRequest(Array(#"{"method":"cgroupUsage"}"#.utf8)) }
    }
}
