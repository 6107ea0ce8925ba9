import Foundation
import HullModel

/// What a client asked of `GET …/logs`.
package struct LogQuery: Sendable {
    package var follow = false
    /// Only the last N lines (Docker's --tail); nil is all.
    package var tail: Int?
    package var timestamps = false
    package var stdout = true
    package var stderr = true

    package init() {}
}

/// Reads a `LogFile`'s generations oldest first and, when following, waits for more until
/// the log finishes. Yields Docker-style output frames.
struct LogReader: Sendable {
    let log: LogFile
    let query: LogQuery

    /// The stream of frames. The starting point is fixed before this returns: with `tail`,
    /// everything already logged is read now, so output logged after the call (say, the
    /// answer to stdin a client sends once the response began) is never taken for history.
    func frames() -> AsyncStream<OutputFrame> {
        let (stream, continuation) = AsyncStream.makeStream(of: OutputFrame.self, bufferingPolicy: .bufferingOldest(64))
        var cursor = Cursor(log: log)
        let history = query.tail.map { LogReader.lastLines(cursor.readToEnd(), count: $0) } ?? []
        let task = Task { [cursor] in
            var cursor = cursor
            for record in history where !Task.isCancelled { await emit(record, into: continuation) }
            await follow(&cursor, into: continuation)
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func follow(_ cursor: inout Cursor, into out: AsyncStream<OutputFrame>.Continuation) async {
        while !Task.isCancelled {
            let version = log.version
            let finished = log.isFinished
            for record in cursor.readAvailable() { await emit(record, into: out) }
            if cursor.moveToNextGeneration() { continue }
            if !query.follow || finished { return }
            await log.waitForChange(after: version)
        }
    }

    private func emit(_ record: LogRecord, into out: AsyncStream<OutputFrame>.Continuation) async {
        guard (record.stream == 1 && query.stdout) || (record.stream == 2 && query.stderr),  // not run markers
              let stream = OutputFrame.Stream(rawValue: record.stream) else { return }
        var payload = record.payload
        if query.timestamps {
            payload = LogReader.stamp(payload, date: record.date)
        }
        // Back-pressure: wait while the client's buffer is full rather than drop.
        while !Task.isCancelled {
            switch out.yield(OutputFrame(stream: stream, payload: payload)) {
            case .enqueued, .terminated: return
            case .dropped: try? await Task.sleep(for: .milliseconds(5))
            @unknown default: return
            }
        }
    }

    /// Each line prefixed with its RFC 3339 time, as `docker logs --timestamps` does.
    static func stamp(_ payload: [UInt8], date: Date) -> [UInt8] {
        let prefix = Array((Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date) + " ").utf8)
        var out: [UInt8] = []
        var atLineStart = true
        for byte in payload {
            if atLineStart { out += prefix }
            out.append(byte)
            atLineStart = byte == UInt8(ascii: "\n")
        }
        return out
    }

    /// The records holding the last `count` lines, the first one cut at a line start.
    static func lastLines(_ records: [LogRecord], count: Int) -> [LogRecord] {
        guard count >= 0 else { return records }
        if count == 0 { return [] }
        var lines = 0
        var result: [LogRecord] = []
        for record in records.reversed() {
            var payload = record.payload
            var cut: Int?
            // A trailing newline ends the line it belongs to; count the newlines before it.
            for i in stride(from: payload.count - 1, through: 0, by: -1) where payload[i] == UInt8(ascii: "\n") {
                if i == payload.count - 1 && result.isEmpty { continue }
                lines += 1
                if lines == count { cut = i + 1; break }
            }
            if let cut {
                payload = Array(payload[cut...])
                if !payload.isEmpty { result.append(LogRecord(stream: record.stream, nanoseconds: record.nanoseconds, payload: payload)) }
                return result.reversed()
            }
            result.append(record)
        }
        return result.reversed()
    }

    /// A reading position in a log's generations (files rotated by size), oldest first.
    struct Cursor: Sendable {
        let log: LogFile
        private var generation: Int?
        private var handle: FileHandle?
        private var pending: [UInt8] = []

        init(log: LogFile) {
            self.log = log
            generation = LogFile.generations(in: log.directory, name: log.name).first
            if let generation { handle = try? FileHandle(forReadingFrom: LogFile.url(log.directory, log.name, generation)) }
        }

        /// Everything logged so far, across generations; the cursor ends at the end.
        mutating func readToEnd() -> [LogRecord] {
            var records = readAvailable()
            while moveToNextGeneration() { records += readAvailable() }
            return records
        }

        /// Opens the next newer generation, if one exists.
        mutating func moveToNextGeneration() -> Bool {
            let current = generation ?? Int.min
            guard let next = LogFile.generations(in: log.directory, name: log.name)
                .first(where: { $0 > current }) else { return false }
            generation = next
            handle = try? FileHandle(forReadingFrom: LogFile.url(log.directory, log.name, next))
            pending.removeAll()
            return true
        }

        /// The whole records appended to the current generation since the last read.
        mutating func readAvailable() -> [LogRecord] {
            guard let h = handle, let data = try? h.readToEnd(), !data.isEmpty else { return [] }
            pending += data
            var records: [LogRecord] = []
            var offset = 0
            parsing: while true {
                switch LogRecord.parse(pending[offset...]) {
                case .record(let record, let length):
                    records.append(record)
                    offset += length
                case .incomplete:
                    break parsing
                case .damaged:
                    // Never trust a damaged file further: stop reading it.
                    handle = nil
                    pending.removeAll()
                    return records
                }
            }
            pending.removeFirst(offset)
            return records
        }
    }
}
