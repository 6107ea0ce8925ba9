import Foundation
import HullAPI

/// What a client asked of `GET …/logs`.
struct LogQuery: Sendable {
    var follow = false
    /// Only the last N lines (Docker's --tail); nil is all.
    var tail: Int?
    var timestamps = false
    var stdout = true
    var stderr = true
}

/// Reads a `LogFile`'s generations oldest first and, when following, waits for more until
/// the log finishes. Yields Docker-style output frames.
struct LogReader: Sendable {
    let log: LogFile
    let query: LogQuery

    func frames() -> AsyncStream<OutputFrame> {
        let (stream, continuation) = AsyncStream.makeStream(of: OutputFrame.self, bufferingPolicy: .bufferingOldest(64))
        let task = Task {
            await produce(into: continuation)
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func produce(into out: AsyncStream<OutputFrame>.Continuation) async {
        var generations = LogFile.generations(in: log.directory, name: log.name)
        guard var generation = generations.first else { return }
        var handle = try? FileHandle(forReadingFrom: LogFile.url(log.directory, log.name, generation))
        var pending: [UInt8] = []

        // --tail: read everything present, keep the last N lines, then follow from there.
        if let tail = query.tail {
            var records: [LogRecord] = []
            while true {
                records += readAvailable(&handle, &pending)
                guard let next = generations.first(where: { $0 > generation }) else { break }
                generation = next
                handle = try? FileHandle(forReadingFrom: LogFile.url(log.directory, log.name, generation))
                pending.removeAll()
            }
            for record in LogReader.lastLines(records, count: tail) where !Task.isCancelled {
                await emit(record, into: out)
            }
        }
        while !Task.isCancelled {
            let version = log.version
            let finished = log.isFinished
            for record in readAvailable(&handle, &pending) { await emit(record, into: out) }
            generations = LogFile.generations(in: log.directory, name: log.name)
            if let next = generations.first(where: { $0 > generation }) {
                generation = next
                handle = try? FileHandle(forReadingFrom: LogFile.url(log.directory, log.name, generation))
                pending.removeAll()
                continue
            }
            if !query.follow || finished { return }
            await log.waitForChange(after: version)
        }
    }

    private func readAvailable(_ handle: inout FileHandle?, _ pending: inout [UInt8]) -> [LogRecord] {
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
}
