/// Bounds every peer enforces. The host treats a guest that exceeds any of them as
/// hostile and ends its session.
public enum ProtocolLimits {
    /// Protocol version exchanged in the `hello` handshake. Bump on any wire change.
    public static let version: UInt32 = 2
    /// Largest payload of any frame (control messages are far smaller).
    public static let maxPayload = 1 << 20
    /// Largest payload of one stdio data frame a sender produces.
    public static let maxDataChunk = 64 * 1024
    /// Flow-control credit each side starts with, per process and per stdio stream.
    public static let initialWindow: UInt32 = 256 * 1024
}

public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    case frameTooLarge(length: Int, limit: Int)
    case unknownFrameType(UInt8)
    case malformedMessage(String)
    case unexpectedFrame(String)
    case versionMismatch(host: UInt32, guest: UInt32)
    case windowExceeded(stream: UInt32, fd: UInt8)
    case channelClosed

    public var description: String {
        switch self {
        case let .frameTooLarge(length, limit):
            return "frame of \(length) bytes exceeds the limit of \(limit) bytes"
        case let .unknownFrameType(t):
            return "unknown frame type 0x\(String(t, radix: 16))"
        case let .malformedMessage(why):
            return "malformed message: \(why)"
        case let .unexpectedFrame(why):
            return "unexpected frame: \(why)"
        case let .versionMismatch(host, guest):
            return "protocol version mismatch: host speaks \(host), guest agent speaks \(guest); rebuild the guest image (scripts/setup.sh)"
        case let .windowExceeded(stream, fd):
            return "peer sent more data than granted on stream \(stream) fd \(fd)"
        case .channelClosed:
            return "control channel closed"
        }
    }
}
