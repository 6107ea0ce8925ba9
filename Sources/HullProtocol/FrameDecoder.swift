/// Incremental, bounded decoder for `Frame`s read from an untrusted byte stream.
///
/// The declared payload length is checked as soon as the header is complete, before any
/// payload is kept, so the decoder never holds more than one header, one maximal payload
/// and the last chunk appended. Callers append what they read and then drain
/// `nextFrame()` until it returns nil.
public struct FrameDecoder: Sendable {
    public let maxPayload: Int
    private var buffer: [UInt8] = []
    private var start = 0

    public init(maxPayload: Int = ProtocolLimits.maxPayload) {
        self.maxPayload = maxPayload
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - start }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func nextFrame() throws(ProtocolError) -> Frame? {
        guard bufferedByteCount >= Frame.headerSize else { return nil }
        let h = start
        let length = Int(readBigEndian(at: h))
        guard length <= maxPayload else {
            throw .frameTooLarge(length: length, limit: maxPayload)
        }
        let streamID = readBigEndian(at: h + 4)
        guard let type = FrameType(rawValue: buffer[h + 8]) else {
            throw .unknownFrameType(buffer[h + 8])
        }
        let flags = FrameFlags(rawValue: buffer[h + 9])
        guard bufferedByteCount >= Frame.headerSize + length else { return nil }
        let payloadStart = h + Frame.headerSize
        let payload = Array(buffer[payloadStart..<(payloadStart + length)])
        start = payloadStart + length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return Frame(streamID: streamID, type: type, flags: flags, payload: payload)
    }

    private func readBigEndian(at i: Int) -> UInt32 {
        UInt32(buffer[i]) << 24 | UInt32(buffer[i + 1]) << 16 | UInt32(buffer[i + 2]) << 8 | UInt32(buffer[i + 3])
    }
}
