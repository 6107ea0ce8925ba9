import HullProtocol

/// When hulld takes over a guest whose previous host died, the channel may still hold
/// the tail of frames written for that host, cut anywhere. `ResumeSync` drops bytes until
/// the header of the agent's reply to the resume hello — a `.response` on the hello's
/// stream, an id the new host picked at random — and hands on everything from there.
struct ResumeSync {
    let helloStream: UInt32
    private(set) var pending: [UInt8] = []
    private(set) var synced = false

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
                let rest = Array(pending[i...])
                pending = []
                return rest
            }
            i += 1
        }
        pending.removeFirst(i)
        return []
    }

    private func isReplyHeader(at i: Int) -> Bool {
        func u32(_ at: Int) -> UInt32 {
            UInt32(pending[at]) << 24 | UInt32(pending[at + 1]) << 16 | UInt32(pending[at + 2]) << 8 | UInt32(pending[at + 3])
        }
        return pending[i + 8] == FrameType.response.rawValue && u32(i + 4) == helloStream
            && u32(i) <= UInt32(ProtocolLimits.maxPayload)
    }
}
