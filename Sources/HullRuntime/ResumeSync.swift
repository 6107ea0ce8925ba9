import HullProtocol

/// When hulld takes over a guest whose previous host died, the channel may still hold
/// the tail of frames written for that host, cut anywhere. `ResumeSync` drops bytes until
/// the header of the agent's reply to the resume hello — a `.response` on the hello's
/// stream, an id the new host picked at random — and hands on everything from there.
struct ResumeSync {
    let helloStream: UInt32
    private(set) var pending: [UInt8] = []
    private(set) var synced = false
    /// The bytes before the reply: frames the agent wrote before it knew its host had
    /// gone, which QEMU held and now delivers (bounded; see `frames(in:)`).
    private(set) var preamble: [UInt8] = []
    static let preambleLimit = 8 << 20

    init(helloStream: UInt32) {
        self.helloStream = helloStream
    }

    /// Bytes to decode as frames once the reply's header was found; [] until then. Keeps
    /// at most one header's worth of unmatched bytes.
    mutating func feed(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        if synced { return Array(bytes) }
        pending.append(contentsOf: bytes)
        var i = 0
        while i + Frame.headerSize <= pending.count {
            if isReplyHeader(at: i) {
                synced = true
                keep(pending[..<i])
                let rest = Array(pending[i...])
                pending = []
                return rest
            }
            i += 1
        }
        keep(pending[..<i])
        pending.removeFirst(i)
        return []
    }

    private mutating func keep(_ bytes: ArraySlice<UInt8>) {
        guard preamble.count + bytes.count <= ResumeSync.preambleLimit else { return }
        preamble.append(contentsOf: bytes)
    }

    /// The whole frames in a preamble: it may start inside a frame the dead host read in
    /// part, so the first offset from which frames follow each other exactly to the end
    /// wins. Nothing when no such chain exists.
    static func frames(in preamble: [UInt8]) -> [Frame] {
        let tries = min(preamble.count, Frame.headerSize + ProtocolLimits.maxPayload)
        for start in 0..<tries where chains(preamble, from: start) {
            var decoder = FrameDecoder()
            decoder.append(preamble[start...])
            var frames: [Frame] = []
            while let frame = try? decoder.nextFrame() { frames.append(frame) }
            return frames
        }
        return []
    }

    /// True when well-formed frame headers lead from `start` exactly to the end.
    private static func chains(_ bytes: [UInt8], from start: Int) -> Bool {
        var i = start
        while i < bytes.count {
            guard i + Frame.headerSize <= bytes.count, FrameType(rawValue: bytes[i + 8]) != nil else { return false }
            let length = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length <= ProtocolLimits.maxPayload else { return false }
            i += Frame.headerSize + length
        }
        return i == bytes.count
    }

    private func isReplyHeader(at i: Int) -> Bool {
        func u32(_ at: Int) -> UInt32 {
            UInt32(pending[at]) << 24 | UInt32(pending[at + 1]) << 16 | UInt32(pending[at + 2]) << 8 | UInt32(pending[at + 3])
        }
        return pending[i + 8] == FrameType.response.rawValue && u32(i + 4) == helloStream
            && u32(i) <= UInt32(ProtocolLimits.maxPayload)
    }
}
