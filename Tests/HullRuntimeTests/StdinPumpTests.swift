import Foundation
import Glibc
import HullProtocol
@testable import HullRuntime
import Logging
import Testing

/// The host's stdin pump (`AgentConnection.startStdinPump`) against a scripted guest that
/// returns credit the way the real agent does (one `.window` frame per `.stdin` frame).
@Suite("Host stdin pump")
struct StdinPumpTests {
    let logger = Logger(label: "test")

    /// hulld's stdin is a pipe that an HTTP upload fills piece by piece, so the pump's
    /// first read often gets only a few bytes. That must not shrink the frames after it:
    /// it once did (the next read asked for no more than the last one got), and 1 MB of
    /// stdin then crossed a TCG guest in 4-byte frames, each with its own round trip.
    @Test("a short read does not shrink later stdin frames; every byte arrives in order")
    func shortReadKeepsFullFrames() async throws {
        let (host, guest) = try socketPair()
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EIO) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let head = [UInt8](repeating: 0x68, count: 10)
        let body = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        // In the pipe before the pump starts: its first read gets exactly these.
        #expect(write(writeEnd, head, head.count) == head.count)

        let firstFrame = DispatchSemaphore(value: 0)
        let received = ReceivedStdin()
        let fake = FakeGuest(fd: guest)
        fake.run { g in
            let hello = try g.readFrame()
            try g.reply(to: hello, Response(result: HelloReply(agent: "fake", kernel: "0")))
            let start = try g.readFrame()
            try g.reply(to: start, Response(result: Empty()))
            while true {
                let frame = try g.readFrame()
                guard frame.type == .stdin, frame.streamID == start.streamID else { continue }
                if !frame.payload.isEmpty {
                    received.add(frame.payload)
                    if received.frames == 1 { firstFrame.signal() }
                    // Passed on: the credit goes back, as the agent's StdinWriter does.
                    try g.send(WindowCredit.frame(stream: start.streamID, fd: 0, increment: UInt32(frame.payload.count)))
                }
                if frame.flags.contains(.endOfStream) { break }
            }
            try g.send(Frame(streamID: start.streamID, type: .stdout, flags: .endOfStream))
            try g.send(Frame(streamID: start.streamID, type: .stderr, flags: .endOfStream))
            try g.send(Frame(streamID: start.streamID, type: .event, payload: MessageCoding.encode(Event.exit(ExitStatus(code: 0)))))
        }

        let sink = try PipeCapture()
        let agent = AgentConnection(fd: host, logger: logger)
        _ = try await agent.hello(timeout: .seconds(5))
        let process = try await agent.start(ProcessSpec(argv: ["x"], stdin: true),
                                            stdio: ProcessStdio(stdin: readEnd, stdout: sink.writeEnd, stderr: sink.writeEnd))
        #expect(firstFrame.wait(timeout: .now() + 10) == .success)
        let writer = Thread {
            _ = body.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(writeEnd, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
            close(writeEnd)
        }
        writer.start()
        let status = try await process.wait()
        #expect(status.shellStatus == 0)
        #expect(received.bytes == head + body)
        // 1 MiB is 16 full frames; a pipe's short reads add some. Frames no larger than
        // the first read (10 bytes) would be over 100 000.
        #expect(received.frames <= 1 + 1024, "1 MiB of stdin took \(received.frames) frames (largest \(received.largest) bytes)")
        #expect(received.largest > head.count)
        agent.close()
        fake.join()
        close(readEnd)
        _ = sink.finishBytes()
    }
}

final class ReceivedStdin: @unchecked Sendable {
    private let lock = NSLock()
    private var data: [UInt8] = []
    private var count = 0
    private var max = 0

    func add(_ payload: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        data += payload
        count += 1
        max = Swift.max(max, payload.count)
    }

    var frames: Int { lock.lock(); defer { lock.unlock() }; return count }
    var largest: Int { lock.lock(); defer { lock.unlock() }; return max }
    var bytes: [UInt8] { lock.lock(); defer { lock.unlock() }; return data }
}
