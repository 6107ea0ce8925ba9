import HullProtocol
import Testing
@testable import HullRuntime

@Suite("resuming a guest session")
struct ResumeSyncTests {
    @Test("bytes before the reply, a torn frame among them, are dropped; the reply and what follows pass")
    func resync() throws {
        let early1 = Frame(streamID: 3, type: .stdout, flags: .epoch(0), payload: Array("one\n".utf8)).encoded()
        let early2 = Frame(streamID: 3, type: .stderr, flags: .epoch(0), payload: Array("two\n".utf8)).encoded()
        let reply = Frame(streamID: 0x0100_0001, type: .response, payload: Array("{}".utf8)).encoded()
        let later = Frame(streamID: 3, type: .stdout, flags: .epoch(1), payload: Array("three".utf8)).encoded()
        // The stream starts inside a frame the dead host read in part.
        let torn = Array(Frame(streamID: 3, type: .stdout, payload: Array("xxxxxxxx".utf8)).encoded().suffix(6))
        let all = torn + early1 + early2 + reply + later
        var sync = ResumeSync(helloStream: 0x0100_0001)
        var passed: [UInt8] = []
        for chunk in stride(from: 0, to: all.count, by: 7) {
            passed += sync.feed(all[chunk..<min(chunk + 7, all.count)])
        }
        #expect(sync.synced)
        #expect(passed == reply + later)
        var decoder = FrameDecoder()
        decoder.append(passed)
        #expect(try decoder.nextFrame()?.type == .response)
        #expect(try decoder.nextFrame()?.payload == Array("three".utf8))
    }

    @Test("frame epochs live in the top two flag bits, apart from end-of-stream and window fds")
    func epochs() throws {
        let flags = FrameFlags(rawValue: FrameFlags.endOfStream.rawValue | FrameFlags.epoch(3).rawValue)
        #expect(flags.epoch == 3 && flags.contains(.endOfStream))
        #expect(FrameFlags.epoch(5).epoch == 1)
        var window = WindowCredit.frame(stream: 1, fd: 2, increment: 9)
        window.flags = FrameFlags(rawValue: window.flags.rawValue | FrameFlags.epoch(2).rawValue)
        let (fd, inc) = try WindowCredit.decode(window)
        #expect(fd == 2 && inc == 9)
    }
}
