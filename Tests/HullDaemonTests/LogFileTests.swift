import Foundation
import HullAPI
import Testing
@testable import HullDaemon
@testable import HullEngine

@Suite("host-kept logs")
struct LogFileTests {
    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hull-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func read(_ log: LogFile, _ query: LogQuery = LogQuery()) async -> [OutputFrame] {
        var frames: [OutputFrame] = []
        for await frame in LogReader(log: log, query: query).frames() { frames.append(frame) }
        return frames
    }

    @Test("records keep stdout and stderr apart and survive reopening, torn tails cut")
    func roundTrip() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try LogFile(directory: dir, name: "main")
        log.append(stream: 1, Array("out\n".utf8))
        log.append(stream: 2, Array("err\n".utf8))
        log.close()
        // A writer killed mid-record leaves a partial record behind.
        let handle = try FileHandle(forWritingTo: LogFile.url(dir, "main", 0))
        try handle.seekToEnd()
        try handle.write(contentsOf: LogRecord(stream: 1, nanoseconds: 1, payload: Array("lost".utf8)).encoded().prefix(18))
        try handle.close()
        let again = try LogFile(directory: dir, name: "main")
        again.append(stream: 1, Array("more\n".utf8))
        again.finish()
        let frames = await read(again)
        #expect(frames.map(\.stream) == [.stdout, .stderr, .stdout])
        #expect(frames.map { String(decoding: $0.payload, as: UTF8.self) } == ["out\n", "err\n", "more\n"])
    }

    @Test("rotation keeps max-file generations; a reader reads across them", arguments: [1, 2, 3, 5])
    func rotation(maxFiles: Int) async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try LogFile(directory: dir, name: "main", policy: LogSpec(maxFileBytes: 1000, maxFiles: maxFiles))
        for i in 0..<300 { log.append(stream: 1, Array("line \(i)\n".utf8)) }
        log.finish()
        #expect(LogFile.generations(in: dir, name: "main").count == maxFiles)
        let text = await read(log).map { String(decoding: $0.payload, as: UTF8.self) }.joined()
        #expect(text.hasSuffix("line 299\n"))
        #expect(!text.contains("line 0\n"), "the oldest generation is gone")
        let sizes = try FileManager.default.contentsOfDirectory(atPath: dir.path).map {
            try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent($0).path)[.size] as? Int ?? 0
        }
        #expect(sizes.allSatisfy { $0 <= 1000 })
        // What is kept is the newest output, whole and in order.
        let lines = text.split(separator: "\n").compactMap { Int($0.dropFirst(5)) }
        #expect(lines == Array((300 - lines.count)..<300), "\(lines)")
    }

    @Test("a lower max-file on an existing log drops the generations beyond it at the next rotation")
    func lowerMaxFiles() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let wide = try LogFile(directory: dir, name: "main", policy: LogSpec(maxFileBytes: 1000, maxFiles: 5))
        for i in 0..<200 { wide.append(stream: 1, Array("line \(i)\n".utf8)) }
        wide.close()
        #expect(LogFile.generations(in: dir, name: "main").count == 5)
        let narrow = try LogFile(directory: dir, name: "main", policy: LogSpec(maxFileBytes: 1000, maxFiles: 2))
        for i in 0..<60 { narrow.append(stream: 1, Array("more \(i)\n".utf8)) }
        narrow.close()
        #expect(LogFile.generations(in: dir, name: "main").count == 2)
    }

    // A reader that takes the reply for history waits for more forever: the limit makes that a failure.
    @Test("tail=0 starts where the log stood when the stream was made, not when it is first read (attach then stdin)",
          .timeLimit(.minutes(1)))
    func tailStartsAtCall() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try LogFile(directory: dir, name: "main")
        log.append(stream: 1, Array("before\n".utf8))
        var query = LogQuery()
        query.tail = 0
        query.follow = true
        for round in 0..<50 {
            let frames = LogReader(log: log, query: query).frames()
            // Logged at once, before the stream's reader has had any chance to run.
            log.append(stream: 1, Array("reply \(round)\n".utf8))
            if round == 49 { log.finish() }
            var text = ""
            for await frame in frames {
                text += String(decoding: frame.payload, as: UTF8.self)
                if text.hasSuffix("reply \(round)\n") { break }
            }
            #expect(text == "reply \(round)\n")
        }
    }

    @Test("tail counts lines across records; follow waits for more until finished; timestamps prefix lines")
    func tailFollowTimestamps() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try LogFile(directory: dir, name: "main")
        log.append(stream: 1, Array("a\nb\n".utf8))
        log.append(stream: 1, Array("c\nd".utf8))
        log.append(stream: 1, Array("\n".utf8))
        var query = LogQuery()
        query.tail = 2
        #expect(await read(log, query).map { String(decoding: $0.payload, as: UTF8.self) }.joined() == "c\nd\n")
        query.tail = 0
        query.follow = true
        let follower = Task { await read(log, query).map { String(decoding: $0.payload, as: UTF8.self) }.joined() }
        try await Task.sleep(for: .milliseconds(100))
        log.append(stream: 1, Array("new\n".utf8))
        log.finish()
        #expect(await follower.value == "new\n")

        var stamped = LogQuery()
        stamped.timestamps = true
        stamped.tail = 1
        let line = await read(log, stamped).map { String(decoding: $0.payload, as: UTF8.self) }.joined()
        #expect(line.hasSuffix("Z new\n"), "\(line)")
        #expect(line.hasPrefix("20"))
    }

    @Test("lastLines edge cases")
    func lastLines() {
        let r = { (s: String) in LogRecord(stream: 1, nanoseconds: 0, payload: Array(s.utf8)) }
        let text = { (rs: [LogRecord]) in rs.map { String(decoding: $0.payload, as: UTF8.self) }.joined() }
        #expect(text(LogReader.lastLines([r("x\ny\nz\n")], count: 1)) == "z\n")
        #expect(text(LogReader.lastLines([r("x\ny\nz")], count: 1)) == "z")
        #expect(text(LogReader.lastLines([r("x\n")], count: 5)) == "x\n")
        #expect(text(LogReader.lastLines([r("x\n"), r("y\n")], count: 0)) == "")
    }
}

@Suite("log offsets for replay")
struct LogOffsetTests {
    @Test("offsets per stream count this run's bytes, survive reopening, restart at a run marker")
    func offsets() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hull-log-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try LogFile(directory: dir, name: "main", policy: LogSpec(maxFileBytes: 200))
        log.startRun()
        log.append(stream: 1, Array(repeating: 65, count: 150))
        log.append(stream: 2, Array("e\n".utf8))
        log.append(stream: 1, Array(repeating: 66, count: 100))
        #expect(log.offset(of: 1) == 250 && log.offset(of: 2) == 2)
        log.close()
        let again = try LogFile(directory: dir, name: "main", policy: LogSpec(maxFileBytes: 200))
        #expect(again.offset(of: 1) == 250 && again.offset(of: 2) == 2, "recovered from the records")
        again.startRun()
        again.append(stream: 1, Array("x".utf8))
        again.close()
        let third = try LogFile(directory: dir, name: "main", policy: LogSpec(maxFileBytes: 200))
        #expect(third.offset(of: 1) == 1 && third.offset(of: 2) == 0, "a new run counts from zero")
    }
}

