/// One unit on the control channel between `hulld` and the guest agent.
///
/// Wire layout (big endian), the same 10-byte header ttrpc uses so the framing can
/// later carry a containerd shim v2 as well:
///
///     u32 payload length | u32 stream id | u8 type | u8 flags | payload
///
/// See docs/protocol.md for the full description.
public struct Frame: Sendable, Equatable {
    public var streamID: UInt32
    public var type: FrameType
    public var flags: FrameFlags
    public var payload: [UInt8]

    public init(streamID: UInt32, type: FrameType, flags: FrameFlags = [], payload: [UInt8] = []) {
        self.streamID = streamID
        self.type = type
        self.flags = flags
        self.payload = payload
    }

    public static let headerSize = 10

    /// The frame as bytes on the wire.
    public func encoded() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Frame.headerSize + payload.count)
        out.appendBigEndian(UInt32(payload.count))
        out.appendBigEndian(streamID)
        out.append(type.rawValue)
        out.append(flags.rawValue)
        out.append(contentsOf: payload)
        return out
    }
}

public enum FrameType: UInt8, Sendable, CaseIterable {
    /// Host → guest: a JSON `Request`; the stream id names the call (odd ids, chosen by the host).
    case request = 0x01
    /// Guest → host: the JSON `Response` to the request with the same stream id.
    case response = 0x02
    /// Guest → host: a JSON `Event` (for example a process exit) about the stream it names.
    case event = 0x03
    /// Process stdio bytes; the stream id is the id of the request that started the process.
    case stdin = 0x10
    case stdout = 0x11
    case stderr = 0x12
    /// Flow-control credit: payload is a u32 increment, `flags` carry the fd (0, 1, 2).
    case window = 0x20
}

public struct FrameFlags: OptionSet, Sendable, Equatable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The sender will send no more bytes on this stdio stream.
    public static let endOfStream = FrameFlags(rawValue: 0x01)

    /// Bits 6-7: the session epoch (mod 4) of a guest → host `stdout`, `stderr`, `window`
    /// or `event` frame. The agent bumps the epoch when a host resumes a session; the host
    /// drops such frames of an older epoch (written for a host that is gone).
    public static let epochMask: UInt8 = 0xC0

    public static func epoch(_ epoch: UInt8) -> FrameFlags {
        FrameFlags(rawValue: (epoch & 3) << 6)
    }

    public var epoch: UInt8 { (rawValue & FrameFlags.epochMask) >> 6 }

    /// The flags without the epoch bits.
    public var withoutEpoch: FrameFlags { FrameFlags(rawValue: rawValue & ~FrameFlags.epochMask) }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }
}
