import Glibc
import HullProtocol

/// Reads frames from the host and dispatches them. Runs on the main thread; everything
/// that may wait on a process (output, stdin, exits) has a thread of its own, so this loop
/// only ever waits for the host (and briefly for a child's exec).
final class Agent: Sendable {
    static let version = "0.1.0"

    private let channel: Int32
    private let transport: ControlTransport
    private let writer: FrameWriter
    private let table: ProcessTable
    private let launcher: ProcessLauncher
    private let power: PowerControl

    /// `hull.persist=1` (guests of hulld): when the host goes, processes keep running
    /// and the agent waits for a host to resume the session, instead of powering off.
    private let persistent: Bool

    init(channel: Int32, transport: ControlTransport, writer: FrameWriter, table: ProcessTable,
         launcher: ProcessLauncher, power: PowerControl, persistent: Bool = false) {
        self.persistent = persistent
        self.channel = channel
        self.transport = transport
        self.writer = writer
        self.table = table
        self.launcher = launcher
        self.power = power
    }

    /// How long a virtio-serial port may read end-of-file (no host connected) before the
    /// host's first bytes arrive.
    private static let hostConnectTimeout = Duration.seconds(60)

    func serve() -> Never {
        var decoder = FrameDecoder()
        var session = Session()
        var heardFromHost = false
        var waitingForResume = false
        let waitingSince = ContinuousClock.now
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { FileIO.readSome(channel, into: $0) }
            if n == 0 {
                if waitingForResume {
                    usleep(20_000)
                    continue
                }
                if persistent && heardFromHost {
                    Log.info("the host closed the control channel; processes keep running until a host resumes")
                    table.pause()
                    waitingForResume = true
                    heardFromHost = false
                    session = Session()
                    decoder = FrameDecoder()
                    continue
                }
                if !heardFromHost, case .hostNotConnectedYet = transport.endOfFileBeforeHostSpeaks,
                   ContinuousClock.now - waitingSince < Agent.hostConnectTimeout {
                    usleep(20_000)
                    continue
                }
                power.powerOff(heardFromHost ? "the host closed the control channel"
                               : "no host connected to the control channel within \(Agent.hostConnectTimeout)")
            }
            if n < 0 {
                power.powerOff("reading the control channel failed: \(SystemError.message(for: Int32(-n)))")
            }
            heardFromHost = true
            waitingForResume = false
            decoder.append(buffer[0..<n])
            do {
                while let frame = try decoder.nextFrame() {
                    try handle(frame, session: &session)
                }
            } catch {
                power.powerOff("protocol error from the host: \(error)")
            }
        }
    }

    private struct Session {
        var greeted = false
    }

    private func handle(_ frame: Frame, session: inout Session) throws(ProtocolError) {
        switch frame.type {
        case .request:
            handleRequest(frame, session: &session)
        case .stdin:
            // Stdin for a process that is gone (or never asked for stdin) is dropped.
            try table.process(stream: frame.streamID)?.stdin?.enqueue(
                frame.payload, endOfStream: frame.flags.contains(.endOfStream))
        case .window:
            let (fd, increment) = try WindowCredit.decode(frame)
            table.process(stream: frame.streamID)?.pump(forFD: fd)?.grant(increment)
        case .response, .event, .stdout, .stderr:
            throw .unexpectedFrame("the host sent a \(frame.type) frame on stream \(frame.streamID)")
        }
    }

    private func handleRequest(_ frame: Frame, session: inout Session) {
        let stream = frame.streamID
        let request: Request
        do {
            request = try MessageCoding.decodeRequest(frame.payload)
        } catch {
            // A request this agent does not understand fails alone; the session goes on.
            Log.info("stream \(stream): \(error)")
            writer.respondError(stream: stream, "\(error)")
            return
        }
        if case .hello(let hello) = request {
            session.greeted = greet(stream: stream, hello)
            return
        }
        guard session.greeted else {
            writer.respondError(stream: stream, "\(request.method) before a successful hello")
            return
        }
        switch request {
        case .hello:
            break
        case .start(let spec):
            switch launcher.launch(stream: stream, spec: spec) {
            case .success(let process):
                writer.respond(stream: stream, Response(result: Empty()))
                let table = self.table
                process.startIO { table.outputFinished(stream: stream) }
            case .failure(let error):
                Log.info("stream \(stream): start failed: \(error)")
                writer.respondError(stream: stream, error.description)
            }
        case .signal(let request):
            respond(stream: stream, error: table.signal(stream: request.stream, request.signal))
        case .resize(let request):
            respond(stream: stream, error: table.resize(stream: request.stream, request.size))
        case .replay(let request):
            respond(stream: stream, error: table.replay(request))
        case .cgroupUsage(let request):
            guard let container = launcher.containers.get(stream: request.stream) else {
                writer.respondError(stream: stream, "no container on stream \(request.stream)")
                return
            }
            do {
                writer.respond(stream: stream, Response(result: try container.cgroup.usageFiles()))
            } catch {
                writer.respondError(stream: stream, "\(error)")
            }
        case .shutdown:
            writer.respond(stream: stream, Response(result: Empty()))
            power.powerOff("the host asked for a shutdown")
        }
    }

    /// Answers hello; true when the host speaks our version.
    private func greet(stream: UInt32, _ hello: Hello) -> Bool {
        guard hello.version == ProtocolLimits.version else {
            let error = ProtocolError.versionMismatch(host: hello.version, guest: ProtocolLimits.version)
            Log.info("hello from \(hello.peer): \(error)")
            writer.respondError(stream: stream, "\(error)")
            return false
        }
        let agent = "hull-agent \(Agent.version)"
        guard hello.resume == true else {
            writer.respond(stream: stream, Response(result: HelloReply(agent: agent, kernel: Agent.kernelRelease())))
            Log.info("hello from \(hello.peer), protocol \(hello.version)")
            return true
        }
        // A new epoch, the processes' windows reset and the reply, with nothing written in
        // between: every frame after the reply belongs to the new host or is marked old.
        let count = writer.exclusive { locked in
            locked.epoch = (locked.epoch &+ 1) & 3
            let processes = table.resume(epoch: locked.epoch)
            let reply = HelloReply(agent: agent, kernel: Agent.kernelRelease(), epoch: locked.epoch, processes: processes)
            locked.send(Frame(streamID: stream, type: .response, payload: MessageCoding.encode(Response(result: reply))))
            return processes.count
        }
        Log.info("hello from \(hello.peer), protocol \(hello.version): resumed with \(count) processes")
        return true
    }

    private func respond(stream: UInt32, error: String?) {
        if let error {
            writer.respondError(stream: stream, error)
        } else {
            writer.respond(stream: stream, Response(result: Empty()))
        }
    }

    static func kernelRelease() -> String {
        var names = utsname()
        guard uname(&names) == 0 else { return "unknown" }
        return withUnsafeBytes(of: &names.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
