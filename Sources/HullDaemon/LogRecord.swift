import Foundation

/// One chunk of a process's output as kept on the host: a 16-byte header — magic 0x48
/// ("H"), stream (1 stdout, 2 stderr), two zero bytes, payload length (UInt32 LE),
/// wall-clock time in nanoseconds since 1970 (UInt64 LE) — then the payload.
struct LogRecord: Sendable, Equatable {
    static let magic: UInt8 = 0x48
    static let headerSize = 16
    /// Bigger chunks are split on write; a bigger length on read means a damaged file.
    static let maxPayload = 256 * 1024

    var stream: UInt8
    var nanoseconds: UInt64
    var payload: [UInt8]

    var date: Date { Date(timeIntervalSince1970: Double(nanoseconds) / 1e9) }

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = [LogRecord.magic, stream, 0, 0]
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: nanoseconds.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + payload
    }

    enum Parse: Equatable {
        case record(LogRecord, length: Int)
        case incomplete
        case damaged
    }

    /// Parses the record at the start of `bytes`.
    static func parse(_ bytes: ArraySlice<UInt8>) -> Parse {
        guard bytes.count >= headerSize else { return .incomplete }
        let base = bytes.startIndex
        guard bytes[base] == magic, bytes[base + 1] == 1 || bytes[base + 1] == 2 else { return .damaged }
        var length: UInt32 = 0
        var nanos: UInt64 = 0
        for i in 0..<4 { length |= UInt32(bytes[base + 4 + i]) << (8 * i) }
        for i in 0..<8 { nanos |= UInt64(bytes[base + 8 + i]) << (8 * i) }
        guard Int(length) <= maxPayload else { return .damaged }
        let total = headerSize + Int(length)
        guard bytes.count >= total else { return .incomplete }
        let payload = Array(bytes[(base + headerSize)..<(base + total)])
        return .record(LogRecord(stream: bytes[base + 1], nanoseconds: nanos, payload: payload), length: total)
    }
}
