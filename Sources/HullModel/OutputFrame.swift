/// How process output travels in a streaming HTTP body (`logs`, `attach`, exec output):
/// Docker's multiplexed stream format. Each frame is an 8-byte header — stream (1 stdout,
/// 2 stderr), three zero bytes, payload length as big-endian UInt32 — then the payload.
/// A TTY process's output is all stream 1.
public struct OutputFrame: Sendable, Equatable {
    public enum Stream: UInt8, Sendable {
        case stdout = 1
        case stderr = 2
    }

    public var stream: Stream
    public var payload: [UInt8]

    public init(stream: Stream, payload: [UInt8]) {
        self.stream = stream
        self.payload = payload
    }

    public static let headerSize = 8
    /// A larger frame from a peer is refused: hulld never writes one.
    public static let maxPayload = 1 << 20

    public func encoded() -> [UInt8] {
        let n = UInt32(payload.count)
        return [stream.rawValue, 0, 0, 0, UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
            + payload
    }
}

public enum OutputFrameError: Error, Equatable, CustomStringConvertible {
    case badStream(UInt8)
    case tooLarge(Int)

    public var description: String {
        switch self {
        case .badStream(let s): "output stream: unknown stream number \(s)"
        case .tooLarge(let n): "output stream: frame of \(n) bytes is over the \(OutputFrame.maxPayload)-byte limit"
        }
    }
}

/// Reassembles frames from arbitrary chunks; bounded by `OutputFrame.maxPayload`.
public struct OutputFrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    public init() {}

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    public mutating func next() throws(OutputFrameError) -> OutputFrame? {
        guard buffer.count >= OutputFrame.headerSize else { return nil }
        guard let stream = OutputFrame.Stream(rawValue: buffer[0]) else { throw .badStream(buffer[0]) }
        let n = Int(buffer[4]) << 24 | Int(buffer[5]) << 16 | Int(buffer[6]) << 8 | Int(buffer[7])
        guard n <= OutputFrame.maxPayload else { throw .tooLarge(n) }
        guard buffer.count >= OutputFrame.headerSize + n else { return nil }
        let payload = Array(buffer[OutputFrame.headerSize..<(OutputFrame.headerSize + n)])
        buffer.removeFirst(OutputFrame.headerSize + n)
        return OutputFrame(stream: stream, payload: payload)
    }
}
