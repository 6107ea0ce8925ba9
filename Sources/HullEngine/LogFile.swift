import Foundation
import HullImages
import HullModel
import Synchronization

/// The output log of one process, kept on the host in generations
/// `NAME.<generation>.log`: when the current file passes `maxFileBytes` the writer starts
/// the next one and deletes those beyond the newest `maxFiles` (`--log-opt`, LogSpec), so
/// the log's size is bounded. Readers hold open descriptors, so a follower behind still
/// reads the file it is in even after it was deleted.
final class LogFile: Sendable {
    let directory: URL
    package let name: String
    let maxFileBytes: Int
    let maxFiles: Int

    private struct State {
        var generation: Int
        var handle: FileHandle?
        var size: Int
        var finished = false
        /// Bumped on every append or finish; followers wait for a change.
        var version: UInt64 = 0
        /// Bytes logged per stream (1, 2) in the current run of the process.
        var offsets: [UInt8: UInt64] = [1: 0, 2: 0]
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state: Mutex<State>

    init(directory: URL, name: String, policy: LogSpec = LogSpec()) throws {
        self.directory = directory
        self.name = name
        maxFileBytes = policy.effectiveMaxFileBytes
        maxFiles = max(policy.effectiveMaxFiles, 1)
        try PrivateFile.createDirectory(directory)
        let generation = LogFile.generations(in: directory, name: name).last ?? 0
        let url = LogFile.url(directory, name, generation)
        if !FileManager.default.fileExists(atPath: url.path) {
            FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        // A writer that died mid-record leaves a torn tail: cut it back to the last whole record.
        let valid = LogFile.validLength(of: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(valid))
        try handle.seekToEnd()
        var state = State(generation: generation, handle: handle, size: valid)
        state.offsets = LogFile.runOffsets(in: directory, name: name)
        self.state = Mutex(state)
    }

    /// Per stream, the bytes logged since the last run started (its marker record).
    private static func runOffsets(in directory: URL, name: String) -> [UInt8: UInt64] {
        var offsets: [UInt8: UInt64] = [1: 0, 2: 0]
        for generation in generations(in: directory, name: name) {
            guard let data = try? Data(contentsOf: url(directory, name, generation)) else { continue }
            let bytes = [UInt8](data)
            var at = 0
            while case .record(let record, let length) = LogRecord.parse(bytes[at...]) {
                if record.stream == LogRecord.runStart {
                    offsets = [1: 0, 2: 0]
                } else {
                    // A damaged header's offset must not trap: saturate.
                    let (end, overflow) = record.offset.addingReportingOverflow(UInt64(record.payload.count))
                    offsets[record.stream] = overflow ? .max : end
                }
                at += length
            }
        }
        return offsets
    }

    /// Bytes of `stream` logged in this run: where a resumed agent sends again from.
    func offset(of stream: UInt8) -> UInt64 {
        state.withLock { $0.offsets[stream] ?? 0 }
    }

    /// The process starts (again): offsets count from zero, marked in the file.
    func startRun() {
        state.withLock { s in
            s.finished = false
            s.offsets = [1: 0, 2: 0]
            let marker = LogRecord(stream: LogRecord.runStart, nanoseconds: LogRecord.now(),
                                   payload: []).encoded()
            try? s.handle?.write(contentsOf: marker)
            s.size += marker.count
        }
    }

    static func url(_ directory: URL, _ name: String, _ generation: Int) -> URL {
        directory.appendingPathComponent("\(name).\(generation).log")
    }

    static func generations(in directory: URL, name: String) -> [Int] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.compactMap { file -> Int? in
            guard file.hasPrefix(name + "."), file.hasSuffix(".log") else { return nil }
            // Generations count up from 0 one rotation at a time; a made-up file name with a
            // huge number must not make the next rotation overflow.
            guard let n = Int(file.dropFirst(name.count + 1).dropLast(4)), (0...Int(Int32.max)).contains(n) else { return nil }
            return n
        }.sorted()
    }

    private static func validLength(of url: URL) -> Int {
        guard let data = try? Data(contentsOf: url) else { return 0 }
        let bytes = [UInt8](data)
        var offset = 0
        while case .record(_, let length) = LogRecord.parse(bytes[offset...]) { offset += length }
        return offset
    }

    /// Appends output; never blocks on readers.
    func append(stream: UInt8, _ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let now = LogRecord.now()
        var offset = 0
        var wake: [CheckedContinuation<Void, Never>] = []
        state.withLock { s in
            while offset < bytes.count {
                let end = min(bytes.count, offset + LogRecord.maxPayload)
                let streamOffset = s.offsets[stream] ?? 0
                let record = LogRecord(stream: stream, nanoseconds: now, offset: streamOffset,
                                       payload: Array(bytes[offset..<end])).encoded()
                s.offsets[stream] = streamOffset &+ UInt64(end - offset)
                offset = end
                if s.size + record.count > maxFileBytes, s.size > 0 { rotate(&s) }
                try? s.handle?.write(contentsOf: record)
                s.size += record.count
            }
            s.version &+= 1
            wake = s.waiters
            s.waiters.removeAll()
        }
        for w in wake { w.resume() }
    }

    private func rotate(_ s: inout State) {
        try? s.handle?.close()
        s.generation += 1
        let url = LogFile.url(directory, name, s.generation)
        FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600])
        s.handle = try? FileHandle(forWritingTo: url)
        s.size = 0
        // The newest maxFiles stay, this one counted (generations before a lowered
        // max-file go too).
        for old in LogFile.generations(in: directory, name: name) where old <= s.generation - maxFiles {
            try? FileManager.default.removeItem(at: LogFile.url(directory, name, old))
        }
    }

    /// No more output will come (the process exited); followers finish.
    func finish() {
        let wake = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.finished = true
            s.version &+= 1
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for w in wake { w.resume() }
    }

    /// The process runs again (`start` of an exited container): followers wait again.
    func reopen() {
        state.withLock { $0.finished = false }
    }

    func close() {
        finish()
        state.withLock { s in
            try? s.handle?.close()
            s.handle = nil
        }
    }

    var isFinished: Bool { state.withLock { $0.finished } }
    var currentGeneration: Int { state.withLock { $0.generation } }
    var version: UInt64 { state.withLock { $0.version } }

    /// Returns once something was appended after `version`, or the log finished.
    func waitForChange(after version: UInt64) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.version != version || s.finished { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    /// Removes every generation (container removed).
    func delete() {
        close()
        for g in LogFile.generations(in: directory, name: name) {
            try? FileManager.default.removeItem(at: LogFile.url(directory, name, g))
        }
    }
}
