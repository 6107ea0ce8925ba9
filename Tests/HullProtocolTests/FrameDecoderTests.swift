import HullProtocol
import Testing

@Suite("Frame decoding")
struct FrameDecoderTests {
    @Test("frames survive any split into chunks")
    func splitAnywhere() throws {
        let frames = [
            Frame(streamID: 1, type: .request, payload: Array("{\"method\":\"shutdown\"}".utf8)),
            Frame(streamID: 3, type: .stdout, payload: Array(repeating: 7, count: 70_000)),
            Frame(streamID: 3, type: .stderr, flags: .endOfStream),
            WindowCredit.frame(stream: 3, fd: 1, increment: 4096),
        ]
        let wire = frames.flatMap { $0.encoded() }
        for chunkSize in [1, 2, 9, 10, 11, 4096, wire.count] {
            var decoder = FrameDecoder()
            var out: [Frame] = []
            var i = 0
            while i < wire.count {
                decoder.append(wire[i..<min(i + chunkSize, wire.count)])
                i += chunkSize
                while let f = try decoder.nextFrame() { out.append(f) }
            }
            #expect(out == frames, "chunk size \(chunkSize)")
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test("an oversized length is rejected from the header alone")
    func oversizedHeader() {
        var decoder = FrameDecoder(maxPayload: 1024)
        // Header only: claims 4 GiB; no payload follows and none must be awaited.
        decoder.append([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, FrameType.stdout.rawValue, 0])
        #expect(throws: ProtocolError.frameTooLarge(length: Int(UInt32.max), limit: 1024)) {
            try decoder.nextFrame()
        }
    }

    @Test("the default limit is enforced")
    func defaultLimit() {
        var decoder = FrameDecoder()
        let tooBig = Frame(streamID: 1, type: .stdout, payload: Array(repeating: 0, count: ProtocolLimits.maxPayload + 1))
        decoder.append(tooBig.encoded())
        #expect(throws: ProtocolError.self) { try decoder.nextFrame() }
    }

    @Test("unknown frame types are rejected")
    func unknownType() {
        var decoder = FrameDecoder()
        decoder.append([0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0])
        #expect(throws: ProtocolError.unknownFrameType(0x7F)) { try decoder.nextFrame() }
    }

    @Test("random garbage never crashes the decoder and never grows its buffer past the bound")
    func garbage() {
        var rng = SeededGenerator(seed: 42)
        let limit = 4096
        for _ in 0..<2000 {
            var decoder = FrameDecoder(maxPayload: limit)
            for _ in 0..<8 {
                let chunk = (0..<Int.random(in: 0...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                decoder.append(chunk)
                do {
                    while try decoder.nextFrame() != nil {}
                } catch {
                    break
                }
                #expect(decoder.bufferedByteCount <= Frame.headerSize + limit + 600)
            }
        }
    }
}

@Suite("Message coding")
struct MessageCodingTests {
    @Test("requests round-trip")
    func requests() throws {
        let requests: [Request] = [
            .hello(Hello(peer: "test")),
            .start(ProcessSpec(argv: ["sh", "-c", "echo \"hi\""], env: ["A=1"], cwd: "/tmp", rootDevice: "/dev/vda",
                               stdin: true, terminal: true, windowSize: WindowSize(rows: 24, columns: 80), hostname: "h")),
            .signal(SignalRequest(stream: 3, signal: 15)),
            .resize(ResizeRequest(stream: 3, size: WindowSize(rows: 50, columns: 132))),
            .shutdown,
        ]
        for r in requests {
            #expect(try MessageCoding.decodeRequest(MessageCoding.encode(r)) == r)
        }
    }

    @Test("events and responses round-trip")
    func eventsAndResponses() throws {
        let e = Event.exit(ExitStatus(code: nil, signal: 9))
        #expect(try MessageCoding.decodeEvent(MessageCoding.encode(e)) == e)
        let ok = try MessageCoding.decodeResponse(HelloReply.self, MessageCoding.encode(Response(result: HelloReply(agent: "a", kernel: "k"))))
        #expect(ok.result?.kernel == "k")
        let failed = try MessageCoding.decodeResponse(Empty.self, MessageCoding.encode(Response<Empty>(error: "nope")))
        #expect(failed.error == "nope")
    }

    @Test("exit status follows the shell convention")
    func shellStatus() {
        #expect(ExitStatus(code: 3).shellStatus == 3)
        #expect(ExitStatus(signal: 9).shellStatus == 137)
    }

    @Test("malformed messages are errors, not crashes")
    func malformed() {
        for bad in ["", "{", "[]", "{\"method\":7}", "{\"method\":\"start\"}", "{\"method\":\"nope\"}",
                    "{\"method\":\"start\",\"params\":{\"argv\":\"x\"}}"] {
            #expect(throws: ProtocolError.self, "\(bad)") { try MessageCoding.decodeRequest(Array(bad.utf8)) }
        }
        #expect(throws: ProtocolError.self) { try MessageCoding.decodeEvent(Array("{\"event\":\"boom\",\"data\":{}}".utf8)) }
        #expect(throws: ProtocolError.self) {
            try WindowCredit.decode(Frame(streamID: 1, type: .window, flags: FrameFlags(rawValue: 1), payload: [1, 2]))
        }
        #expect(throws: ProtocolError.self) {
            try WindowCredit.decode(Frame(streamID: 1, type: .window, flags: FrameFlags(rawValue: 9), payload: [0, 0, 0, 1]))
        }
    }
}

/// Deterministic generator so a failure reproduces.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
