import Foundation

/// One chunk of a process's output as kept on the host: a 24-byte header — magic 0x48
/// ("H"), stream (1 stdout, 2 stderr; 3 marks the start of a new run of the process),
/// two zero bytes, payload length (UInt32 LE), wall-clock time in nanoseconds since 1970
/// (UInt64 LE), the offset of the payload's first byte in its stream in this run (UInt64
/// LE: what a resumed agent is asked to send again from) — then the payload.
struct LogRecord: Sendable, Equatable {
    static let magic: UInt8 = 0x48
    static let headerSize = 24
    static let runStart: UInt8 = 3
    /// Bigger chunks are split on write; a bigger length on read means a damaged file.
    static let maxPayload = 256 * 1024

    var stream: UInt8
    var nanoseconds: UInt64
    var offset: UInt64 = 0
    var payload: [UInt8]

    var date: Date { Date(timeIntervalSince1970: Double(nanoseconds) / 1e9) }

    /// The wall clock in nanoseconds since 1970; 0 for a clock set before 1970 (never a
    /// trap on the output threads).
    static func now() -> UInt64 {
        UInt64(exactly: (max(Date().timeIntervalSince1970, 0) * 1e9).rounded(.down)) ?? 0
    }

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = [LogRecord.magic, stream, 0, 0]
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: nanoseconds.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: offset.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + payload
    }

    enum Parse: Equatable {
        case record(LogRecord, length: Int)
        case incomplete
        case damaged
    }

    /// Parses the record at the start of `bytes`.
    package static func parse(_ bytes: ArraySlice<UInt8>) -> Parse {
        guard bytes.count >= headerSize else { return .incomplete }
        let base = bytes.startIndex
        guard bytes[base] == magic, (1...3).contains(bytes[base + 1]) else { return .damaged }
        var length: UInt32 = 0
        var nanos: UInt64 = 0
        var offset: UInt64 = 0
        for i in 0..<4 { length |= UInt32(bytes[base + 4 + i]) << (8 * i) }
        for i in 0..<8 { nanos |= UInt64(bytes[base + 8 + i]) << (8 * i) }
        for i in 0..<8 { offset |= UInt64(bytes[base + 16 + i]) << (8 * i) }
        guard Int(length) <= maxPayload else { return .damaged }
        let total = headerSize + Int(length)
        guard bytes.count >= total else { return .incomplete }
        let payload = Array(bytes[(base + headerSize)..<(base + total)])
        return .record(LogRecord(stream: bytes[base + 1], nanoseconds: nanos, offset: offset, payload: payload), length: total)
    }
}
