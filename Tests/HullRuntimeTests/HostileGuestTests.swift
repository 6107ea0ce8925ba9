import Foundation
import Glibc
import HullProtocol
@testable import HullRuntime
import Logging
import Testing

/// The host's end of the control channel against a scripted guest on a socketpair.
/// The guest is untrusted: whatever it sends, the host must end that session with a
/// clear error, promptly, and keep running.
@Suite("Host side of the agent session")
struct HostileGuestTests {
    let logger = Logger(label: "test")

    @Test("a well-behaved guest: output apart, exit status, credit returned")
    func wellBehaved() async throws {
        let (host, guest) = try socketPair()
        let out = try PipeCapture()
        let err = try PipeCapture()
        let fake = FakeGuest(fd: guest)
        fake.run { g in
            let hello = try g.readFrame()
            try g.reply(to: hello, Response(result: HelloReply(agent: "fake", kernel: "0")))
            let start = try g.readFrame()
            #expect(try MessageCoding.decodeRequest(start.payload).method == "start")
            // Output before the start reply must not be lost.
            try g.send(Frame(streamID: start.streamID, type: .stdout, payload: Array("early ".utf8)))
            try g.reply(to: start, Response(result: Empty()))
            try g.send(Frame(streamID: start.streamID, type: .stdout, payload: Array("out".utf8)))
            try g.send(Frame(streamID: start.streamID, type: .stderr, payload: Array("err".utf8)))
            try g.send(Frame(streamID: start.streamID, type: .stdout, flags: .endOfStream))
            try g.send(Frame(streamID: start.streamID, type: .stderr, flags: .endOfStream))
            // The host hands back credit for what it wrote out.
            var returned: UInt32 = 0
            while returned < 12 {
                let w = try g.readFrame()
                returned += try WindowCredit.decode(w).increment
            }
            try g.send(Frame(streamID: start.streamID, type: .event, payload: MessageCoding.encode(Event.exit(ExitStatus(code: 3)))))
        }
        let agent = AgentConnection(fd: host, logger: logger)
        let hello = try await agent.hello(timeout: .seconds(5))
        #expect(hello.agent == "fake")
        let process = try await agent.start(ProcessSpec(argv: ["x"]), stdio: ProcessStdio(stdin: nil, stdout: out.writeEnd, stderr: err.writeEnd))
        let status = try await process.wait()
        #expect(status.shellStatus == 3)
        #expect(out.finish() == "early out")
        #expect(err.finish() == "err")
        agent.close()
        fake.join()
    }

    @Test("garbage from the guest ends its session with a protocol error")
    func garbage() async throws {
        let (host, guest) = try socketPair()
        let fake = FakeGuest(fd: guest)
        fake.run { g in
            _ = try g.readFrame()
            try g.raw(Array("this is not a frame at all".utf8))
        }
        let agent = AgentConnection(fd: host, logger: logger)
        await #expect(throws: AgentError.self) { _ = try await agent.hello(timeout: .seconds(10)) }
        await expectViolation { _ = try await agent.hello(timeout: .seconds(10)) }
        fake.join()
    }

    @Test("an oversized frame is refused from its header, before its payload arrives")
    func oversized() async throws {
        let (host, guest) = try socketPair()
        let fake = FakeGuest(fd: guest)
        fake.run { g in
            _ = try g.readFrame()
            // Claims 512 MiB and then sends nothing more: the host must not wait for it.
            try g.raw([0x20, 0, 0, 0, 0, 0, 0, 1, FrameType.response.rawValue, 0])
        }
        let agent = AgentConnection(fd: host, logger: logger)
        await expectViolation { _ = try await agent.hello(timeout: .seconds(10)) }
        fake.join()
    }

    @Test("output beyond the granted credit ends the session")
    func beyondCredit() async throws {
        let (host, guest) = try socketPair()
        let sink = try PipeCapture()
        let fake = FakeGuest(fd: guest)
        fake.run { g in
            let hello = try g.readFrame()
            try g.reply(to: hello, Response(result: HelloReply(agent: "fake", kernel: "0")))
            let start = try g.readFrame()
            try g.reply(to: start, Response(result: Empty()))
            // One frame larger than the whole window.
            let chunk = [UInt8](repeating: 0x41, count: Int(ProtocolLimits.initialWindow) + 1)
            try g.send(Frame(streamID: start.streamID, type: .stdout, payload: chunk))
        }
        let agent = AgentConnection(fd: host, logger: logger)
        _ = try await agent.hello(timeout: .seconds(5))
        let process = try await agent.start(ProcessSpec(argv: ["x"]), stdio: ProcessStdio(stdin: nil, stdout: sink.writeEnd, stderr: sink.writeEnd))
        await expectViolation { _ = try await process.wait() }
        #expect(sink.finish().isEmpty, "nothing of the offending frame may be written out")
        fake.join()
    }

    @Test("a guest flooding a slow consumer is held back, nothing piles up on the host, nothing is lost")
    func backPressure() async throws {
        let (host, guest) = try socketPair()
        let sink = try PipeCapture(startDraining: false)
        let fake = FakeGuest(fd: guest)
        let total = 8 << 20
        let sent = SentCounter()
        fake.run { g in
            let hello = try g.readFrame()
            try g.reply(to: hello, Response(result: HelloReply(agent: "fake", kernel: "0")))
            let start = try g.readFrame()
            try g.reply(to: start, Response(result: Empty()))
            // Honest sender: waits for credit like the real agent does.
            var credit = Int(ProtocolLimits.initialWindow)
            var offset = 0
            while offset < total {
                while credit == 0 {
                    let w = try g.readFrame()
                    credit += Int(try WindowCredit.decode(w).increment)
                }
                let n = min(credit, ProtocolLimits.maxDataChunk, total - offset)
                try g.send(Frame(streamID: start.streamID, type: .stdout, payload: (0..<n).map { UInt8(truncatingIfNeeded: offset + $0) }))
                offset += n
                credit -= n
                sent.set(offset)
            }
            try g.send(Frame(streamID: start.streamID, type: .stdout, flags: .endOfStream))
            try g.send(Frame(streamID: start.streamID, type: .event, payload: MessageCoding.encode(Event.exit(ExitStatus(code: 0)))))
        }
        let agent = AgentConnection(fd: host, logger: logger)
        _ = try await agent.hello(timeout: .seconds(5))
        let process = try await agent.start(ProcessSpec(argv: ["x"]), stdio: ProcessStdio(stdin: nil, stdout: sink.writeEnd, stderr: sink.writeEnd))
        try await Task.sleep(for: .seconds(1))
        // Nobody read the output for a second: the guest could only get a window's worth
        // plus what the kernel's pipe holds past the host.
        let inFlight = sent.get()
        #expect(inFlight <= Int(ProtocolLimits.initialWindow) + (1 << 20), "guest pushed \(inFlight) bytes into a stalled consumer")
        sink.startDraining()
        let status = try await process.wait()
        #expect(status.shellStatus == 0)
        let bytes = sink.finishBytes()
        #expect(bytes.count == total)
        #expect(bytes.enumerated().allSatisfy { $0.element == UInt8(truncatingIfNeeded: $0.offset) })
        agent.close()
        fake.join()
    }

    @Test("a silent guest times out instead of stalling the host")
    func silent() async throws {
        let (host, guest) = try socketPair()
        let agent = AgentConnection(fd: host, logger: logger)
        do {
            _ = try await agent.hello(timeout: .milliseconds(300))
            Issue.record("hello to a silent guest returned")
        } catch AgentError.timeout(let method, _) {
            #expect(method == "hello")
        }
        close(guest)
    }

    @Test("a guest that hangs up fails pending calls")
    func hangUp() async throws {
        let (host, guest) = try socketPair()
        let fake = FakeGuest(fd: guest)
        fake.run { g in
            _ = try g.readFrame()
            g.hangUp()
        }
        let agent = AgentConnection(fd: host, logger: logger)
        do {
            _ = try await agent.hello(timeout: .seconds(10))
            Issue.record("hello succeeded against a guest that hung up")
        } catch AgentError.sessionClosed {
        }
        fake.join()
    }

    @Test("a response for a stream nobody asked about is dropped, an exit for one ends the session")
    func madeUpStreams() async throws {
        let (host, guest) = try socketPair()
        let fake = FakeGuest(fd: guest)
        fake.run { g in
            let hello = try g.readFrame()
            try g.send(Frame(streamID: 99, type: .response, payload: MessageCoding.encode(Response(result: Empty()))))
            try g.reply(to: hello, Response(result: HelloReply(agent: "fake", kernel: "0")))
            try g.send(Frame(streamID: 77, type: .event, payload: MessageCoding.encode(Event.exit(ExitStatus(code: 0)))))
        }
        let agent = AgentConnection(fd: host, logger: logger)
        _ = try await agent.hello(timeout: .seconds(5))
        await expectViolation { _ = try await agent.hello(timeout: .seconds(10)) }
        fake.join()
    }

    private func expectViolation(_ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected the session to end with a protocol violation")
        } catch AgentError.protocolViolation {
        } catch {
            Issue.record("expected a protocol violation, got \(error)")
        }
    }
}

func socketPair() throws -> (Int32, Int32) {
    var fds: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
        throw POSIXError(.init(rawValue: errno) ?? .EIO)
    }
    return (fds[0], fds[1])
}

/// Collects what is written to a pipe, on a thread, so writers never block.
final class PipeCapture: @unchecked Sendable {
    let writeEnd: Int32
    private let readEnd: Int32
    private let done = DispatchSemaphore(value: 0)
    private var data = [UInt8]()

    init(startDraining: Bool = true) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EIO) }
        readEnd = fds[0]
        writeEnd = fds[1]
        if startDraining { self.startDraining() }
    }

    func startDraining() {
        Thread { [self] in
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(readEnd, &buf, buf.count)
                if n <= 0 { break }
                data.append(contentsOf: buf[0..<n])
            }
            done.signal()
        }.start()
    }

    func finish() -> String {
        String(decoding: finishBytes(), as: UTF8.self)
    }

    func finishBytes() -> [UInt8] {
        close(writeEnd)
        done.wait()
        close(readEnd)
        return data
    }
}

final class SentCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func set(_ v: Int) { lock.lock(); value = v; lock.unlock() }
    func get() -> Int { lock.lock(); defer { lock.unlock() }; return value }
}

/// A scripted guest on the other end of a socketpair.
final class FakeGuest: @unchecked Sendable {
    private let fd: Int32
    private var decoder = FrameDecoder()
    private let finished = DispatchSemaphore(value: 0)

    init(fd: Int32) {
        self.fd = fd
    }

    func run(_ script: @escaping @Sendable (FakeGuest) throws -> Void) {
        Thread { [self] in
            do { try script(self) } catch {}
            finished.signal()
        }.start()
    }

    func join() {
        finished.wait()
        close(fd)
    }

    func hangUp() {
        shutdown(fd, Int32(SHUT_RDWR))
    }

    func readFrame() throws -> Frame {
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            if let f = try decoder.nextFrame() { return f }
            let n = read(fd, &buf, buf.count)
            guard n > 0 else { throw ProtocolError.channelClosed }
            decoder.append(buf[0..<n])
        }
    }

    func send(_ frame: Frame) throws { try raw(frame.encoded()) }

    func reply<R>(to request: Frame, _ response: Response<R>) throws {
        try send(Frame(streamID: request.streamID, type: .response, payload: MessageCoding.encode(response)))
    }

    func raw(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, bytes.count - off) }
            guard n > 0 else { throw ProtocolError.channelClosed }
            off += n
        }
    }
}
