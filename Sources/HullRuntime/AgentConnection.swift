import Foundation
import Glibc
import HullProtocol
import Logging
import Synchronization

/// The host's end of one guest agent session: a framed, multiplexed stream over the
/// control channel.
///
/// The guest is untrusted. Everything it sends goes through a bounded `FrameDecoder`;
/// stdout/stderr are flow-controlled by credit (the guest may never have more than
/// `ProtocolLimits.initialWindow` bytes in flight per stream), so the host buffers at most
/// one frame per session. Any violation ends this session with `AgentError.protocolViolation`
/// and never affects other guests or the host process.
public final class AgentConnection: Sendable {
    private let fd: Int32
    private let logger: Logger
    private let state = Mutex(State())
    private let writeLock = Mutex(())

    struct State {
        var nextStream: UInt32 = 1
        var pending: [UInt32: CheckedContinuation<[UInt8], any Error>] = [:]
        var processes: [UInt32: ProcessRoute] = [:]
        var endedBy: AgentError?
        /// The agent's session epoch (a resumed session starts a new one); guest frames of
        /// another epoch were written for a previous host and are dropped.
        var epoch: UInt8 = 0
        /// A resumed session: output or exits for streams this host did not adopt are
        /// dropped instead of ending the session.
        var resumed = false
        /// After a resume: frames for running processes not yet adopted, in order.
        var holding: Set<UInt32> = []
        var held: [UInt32: [Frame]] = [:]
        var heldBytes = 0
    }

    /// A guest cannot send more than its windows while held; beyond this, held frames are
    /// dropped.
    static let heldLimit = 16 << 20

    /// Where one process's stdio goes on the host, and what the guest may still send.
    struct ProcessRoute {
        var stdout: Int32
        var stderr: Int32
        var outputCredit: [UInt8: UInt32] = [1: ProtocolLimits.initialWindow, 2: ProtocolLimits.initialWindow]
        var outputBroken: Set<UInt8> = []
        var stdinGate: CreditGate?
        var exitStatus: ExitStatus?
        var exitWaiter: CheckedContinuation<ExitStatus, any Error>?
    }

    /// Set when this session resumes one whose host went away (`resume(timeout:)`).
    private let resumeStream: UInt32?

    /// Takes ownership of `fd` and starts reading from it. With `resuming`, the session
    /// takes over a guest whose previous host went away: call `resume` instead of `hello`.
    public init(fd: Int32, logger: Logger, resuming: Bool = false) {
        self.fd = fd
        self.logger = logger
        // An odd id from a range the first session's counter never reaches in practice.
        resumeStream = resuming ? (UInt32.random(in: (1 << 24)...(1 << 30)) | 1) : nil
        if let resumeStream { state.withLock { $0.nextStream = resumeStream } }
        // A guest that stops reading must not hang the host forever.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in self.readLoop() }
        thread.name = "hull-agent-reader"
        thread.start()
    }

    deinit {
        Glibc.close(fd)
    }

    /// Ends the session; pending calls and waits fail with `reason`.
    public func close(reason: AgentError = .sessionClosed) {
        end(reason)
        shutdown(fd, Int32(SHUT_RDWR))
    }

    // MARK: Requests

    public func hello(timeout: Duration) async throws -> HelloReply {
        let reply = try await call(.hello(Hello(peer: "hull-host")), expecting: HelloReply.self, timeout: timeout)
        guard reply.version == ProtocolLimits.version else {
            throw AgentError.protocolViolation(.versionMismatch(host: ProtocolLimits.version, guest: reply.version))
        }
        return reply
    }

    /// The handshake of a resumed session: a new epoch, and the processes the agent runs
    /// or saw exit. Streams this host will use are then `adopt`ed.
    public func resume(timeout: Duration) async throws -> HelloReply {
        guard let resumeStream else { throw AgentError.channel("resume on a session that was not opened for it") }
        let reply = try await call(.hello(Hello(peer: "hulld", resume: true)), on: resumeStream,
                                   expecting: HelloReply.self, timeout: timeout)
        guard reply.version == ProtocolLimits.version else {
            throw AgentError.protocolViolation(.versionMismatch(host: ProtocolLimits.version, guest: reply.version))
        }
        state.withLock { s in
            let highest = max(resumeStream, (reply.processes ?? []).map(\.stream).max() ?? 0)
            s.nextStream = (highest &+ 2) | 1
        }
        return reply
    }

    /// Takes over a process the agent already runs (after `resume`): its output goes to
    /// `stdio` from now on, with fresh windows on both sides.
    public func adopt(stream: UInt32, stdio: ProcessStdio, stdinOpen: Bool) -> GuestProcess {
        let gate = stdinOpen ? CreditGate(initial: ProtocolLimits.initialWindow) : nil
        state.withLock { $0.processes[stream] = ProcessRoute(stdout: stdio.stdout, stderr: stdio.stderr, stdinGate: gate) }
        // What arrived for it meanwhile goes first, in order; new frames queue behind
        // until the queue is empty.
        while true {
            let batch: [Frame]? = state.withLock { s in
                let frames = s.held[stream] ?? []
                s.held[stream] = []
                if frames.isEmpty {
                    s.holding.remove(stream)
                    s.held[stream] = nil
                    return nil
                }
                s.heldBytes -= frames.reduce(0) { $0 + $1.payload.count }
                return frames
            }
            guard let batch else { break }
            for frame in batch {
                do {
                    try dispatch(frame)
                } catch {
                    logger.error("guest broke the protocol, ending its session", metadata: ["error": "\(error)"])
                    close(reason: .channel("\(error)"))
                }
            }
        }
        if let gate, let input = stdio.stdin {
            startStdinPump(stream: stream, from: input, gate: gate)
        }
        return GuestProcess(stream: stream, connection: self)
    }

    /// The reply to a resume, seen by the reader before any frame after it: from here on
    /// frames of the new epoch count, and running processes' frames wait for `adopt`.
    private func resumed(by payload: [UInt8]) {
        guard let reply = try? MessageCoding.decodeResponse(HelloReply.self, payload).result else { return }
        state.withLock { s in
            s.epoch = reply.epoch ?? 0
            s.resumed = true
            let running = (reply.processes ?? []).filter { $0.exit == nil }.map(\.stream)
            s.holding = Set(running)
        }
    }

    /// After `adopt`: the host logged the process's output up to these offsets; the agent
    /// sends the rest again (nothing with `UInt64.max`), then carries on.
    public func replay(stream: UInt32, stdout: UInt64, stderr: UInt64) async throws {
        _ = try await call(.replay(ReplayRequest(stream: stream, stdout: stdout, stderr: stderr)), expecting: Empty.self)
    }

    /// The usage of the container whose main process runs on `stream`: the agent sends
    /// its cgroup's files, parsed here with bounds (`CgroupUsage.parse`) like everything a
    /// guest says. nil from an agent built before the request (an older guest image).
    public func cgroupUsage(stream: UInt32, timeout: Duration = .seconds(10)) async throws -> CgroupUsage? {
        let files: CgroupFiles
        do {
            files = try await call(.cgroupUsage(CgroupUsageRequest(stream: stream)), expecting: CgroupFiles.self, timeout: timeout)
        } catch AgentError.remote(let message) where message.hasSuffix("unknown method cgroupUsage") {
            return nil
        }
        return try CgroupUsage.parse(files)
    }

    public func call<R: Codable & Sendable>(_ request: Request, expecting: R.Type,
                                            timeout: Duration = .seconds(30)) async throws -> R {
        let stream = allocateStream()
        return try await call(request, on: stream, expecting: R.self, timeout: timeout)
    }

    private func call<R: Codable & Sendable>(_ request: Request, on stream: UInt32, expecting: R.Type,
                                             timeout: Duration) async throws -> R {
        let payload = try await withCheckedThrowingContinuation { (c: CheckedContinuation<[UInt8], any Error>) in
            let ended: AgentError? = state.withLock { s in
                if let e = s.endedBy { return e }
                s.pending[stream] = c
                return nil
            }
            if let ended {
                c.resume(throwing: ended)
                return
            }
            do {
                try send(Frame(streamID: stream, type: .request, payload: MessageCoding.encode(request)))
            } catch {
                failPending(stream, with: error)
                return
            }
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                self?.failPending(stream, with: AgentError.timeout(request.method, timeout))
            }
        }
        let response: Response<R>
        do {
            response = try MessageCoding.decodeResponse(R.self, payload)
        } catch {
            close(reason: .protocolViolation(error))
            throw AgentError.protocolViolation(error)
        }
        if let message = response.error { throw AgentError.remote(message) }
        guard let result = response.result else {
            throw AgentError.protocolViolation(.malformedMessage("response has neither result nor error"))
        }
        return result
    }

    /// Starts a process in the guest, with its stdio wired to host descriptors (not
    /// closed by this class). Output that arrives before the call returns is not lost:
    /// the route exists before the request is sent.
    public func start(_ spec: ProcessSpec, stdio: ProcessStdio, timeout: Duration = .seconds(30)) async throws -> GuestProcess {
        let stream = allocateStream()
        let gate = spec.stdin ? CreditGate(initial: ProtocolLimits.initialWindow) : nil
        state.withLock { $0.processes[stream] = ProcessRoute(stdout: stdio.stdout, stderr: stdio.stderr, stdinGate: gate) }
        do {
            _ = try await call(.start(spec), on: stream, expecting: Empty.self, timeout: timeout)
        } catch {
            gate?.close()
            _ = state.withLock { $0.processes.removeValue(forKey: stream) }
            throw error
        }
        if let gate, let input = stdio.stdin {
            startStdinPump(stream: stream, from: input, gate: gate)
        }
        return GuestProcess(stream: stream, connection: self)
    }

    func waitForExit(stream: UInt32) async throws -> ExitStatus {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<ExitStatus, any Error>) in
            let outcome: Result<ExitStatus, AgentError>? = state.withLock { s in
                guard var route = s.processes[stream] else { return .failure(.remote("no process on stream \(stream)")) }
                if let status = route.exitStatus { return .success(status) }
                if let e = s.endedBy { return .failure(e) }
                route.exitWaiter = c
                s.processes[stream] = route
                return nil
            }
            if let outcome { c.resume(with: outcome) }
        }
    }

    // MARK: Sending

    private func allocateStream() -> UInt32 {
        state.withLock { s in
            let id = s.nextStream
            s.nextStream &+= 2  // host-initiated streams are odd, as in ttrpc
            return id
        }
    }

    func send(_ frame: Frame) throws {
        let bytes = frame.encoded()
        try writeLock.withLock { _ in
            do {
                try FileDescriptorIO.writeAll(fd, bytes)
            } catch {
                throw AgentError.channel("sending to the guest failed: \(error)")
            }
        }
    }

    private func startStdinPump(stream: UInt32, from input: Int32, gate: CreditGate) {
        let thread = Thread { [self] in
            while true {
                // Always ask for a full chunk: a short read (a pipe holding only part of
                // what its writer will send) must not shrink every later frame.
                let allowed = gate.acquire(max: ProtocolLimits.maxDataChunk)
                if allowed == 0 { return }  // session ended or process gone
                var chunk = [UInt8](repeating: 0, count: allowed)
                let n = (try? FileDescriptorIO.read(input, into: &chunk)) ?? 0
                if n == 0 {
                    try? send(Frame(streamID: stream, type: .stdin, flags: .endOfStream))
                    return
                }
                // Unused credit goes back to the gate.
                if n < allowed { gate.grant(UInt32(allowed - n)) }
                if (try? send(Frame(streamID: stream, type: .stdin, payload: Array(chunk[0..<n])))) == nil { return }
            }
        }
        thread.name = "hull-stdin-\(stream)"
        thread.start()
    }

    // MARK: Receiving

    private func readLoop() {
        var decoder = FrameDecoder()
        var sync = resumeStream.map { ResumeSync(helloStream: $0) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        do {
            while true {
                let n: Int
                do {
                    n = try FileDescriptorIO.read(fd, into: &buffer)
                } catch {
                    throw AgentError.channel("reading from the guest failed: \(error)")
                }
                if n == 0 { throw AgentError.sessionClosed }
                if sync != nil {
                    let usable = sync!.feed(buffer[0..<n])
                    if sync!.synced { sync = nil }
                    decoder.append(usable[...])
                } else {
                    decoder.append(buffer[0..<n])
                }
                while let frame = try decoder.nextFrame() {
                    try handle(frame)
                }
            }
        } catch let error as ProtocolError {
            logger.error("guest broke the protocol, ending its session", metadata: ["error": "\(error)"])
            end(.protocolViolation(error))
            shutdown(fd, Int32(SHUT_RDWR))
        } catch let error as AgentError {
            end(error)
        } catch {
            end(.channel("\(error)"))
        }
    }

    private func handle(_ frame: Frame) throws {
        switch frame.type {
        case .stdout, .stderr, .window, .event:
            let dropOrHold: Bool = state.withLock { s in
                // Written for a host that is gone.
                if frame.flags.epoch != s.epoch { return true }
                if s.holding.contains(frame.streamID) {
                    if s.heldBytes + frame.payload.count <= AgentConnection.heldLimit {
                        s.held[frame.streamID, default: []].append(frame)
                        s.heldBytes += frame.payload.count
                    }
                    return true
                }
                // For a process this host did not adopt.
                return s.resumed && s.processes[frame.streamID] == nil
            }
            if dropOrHold { return }
        case .request, .response, .stdin:
            break
        }
        if frame.type == .response, frame.streamID == resumeStream {
            resumed(by: frame.payload)
        }
        try dispatch(frame)
    }

    private func dispatch(_ frame: Frame) throws {
        switch frame.type {
        case .response:
            guard let c = state.withLock({ $0.pending.removeValue(forKey: frame.streamID) }) else {
                // Late answer to a call that timed out, or a made-up stream.
                logger.debug("response for unknown stream \(frame.streamID) dropped")
                return
            }
            c.resume(returning: frame.payload)
        case .stdout, .stderr:
            try deliverOutput(frame)
        case .event:
            let event = try MessageCoding.decodeEvent(frame.payload)
            switch event {
            case .exit(let status):
                guard status.isPossible else {
                    throw ProtocolError.unexpectedFrame("exit status no process can have (code \(status.code.map(String.init) ?? "none"), signal \(status.signal.map(String.init) ?? "none"))")
                }
                let waiter: CheckedContinuation<ExitStatus, any Error>? = try state.withLock { s in
                    guard var route = s.processes[frame.streamID] else {
                        throw ProtocolError.unexpectedFrame("exit for unknown stream \(frame.streamID)")
                    }
                    route.exitStatus = status
                    let w = route.exitWaiter
                    route.exitWaiter = nil
                    route.stdinGate?.close()
                    s.processes[frame.streamID] = route
                    return w
                }
                waiter?.resume(returning: status)
            }
        case .window:
            let (fdNumber, increment) = try WindowCredit.decode(frame)
            guard fdNumber == 0 else { throw ProtocolError.unexpectedFrame("guest granted credit for fd \(fdNumber)") }
            let gate = state.withLock { $0.processes[frame.streamID]?.stdinGate }
            gate?.grant(increment)
        case .request, .stdin:
            throw ProtocolError.unexpectedFrame("guest sent a \(frame.type) frame")
        }
    }

    private func deliverOutput(_ frame: Frame) throws {
        let fdNumber: UInt8 = frame.type == .stdout ? 1 : 2
        let count = UInt32(frame.payload.count)
        let (target, broken): (Int32, Bool) = try state.withLock { s in
            guard var route = s.processes[frame.streamID] else {
                throw ProtocolError.unexpectedFrame("output for unknown stream \(frame.streamID)")
            }
            let credit = route.outputCredit[fdNumber] ?? 0
            guard count <= credit else { throw ProtocolError.windowExceeded(stream: frame.streamID, fd: fdNumber) }
            route.outputCredit[fdNumber] = credit - count
            s.processes[frame.streamID] = route
            return (fdNumber == 1 ? route.stdout : route.stderr, route.outputBroken.contains(fdNumber))
        }
        guard count > 0 else { return }
        if !broken {
            do {
                try FileDescriptorIO.writeAll(target, frame.payload)
            } catch {
                // The reader went away (`hull run … | head`): keep draining so the process
                // is not stuck, like a closed pipe on a local process would not be.
                logger.debug("output fd \(fdNumber) closed: \(error)")
                state.withLock { _ = $0.processes[frame.streamID]?.outputBroken.insert(fdNumber) }
            }
        }
        state.withLock { s in
            if let c = s.processes[frame.streamID]?.outputCredit[fdNumber] {
                s.processes[frame.streamID]?.outputCredit[fdNumber] = c + count
            }
        }
        try send(WindowCredit.frame(stream: frame.streamID, fd: fdNumber, increment: count))
    }

    private func failPending(_ stream: UInt32, with error: any Error) {
        state.withLock { $0.pending.removeValue(forKey: stream) }?.resume(throwing: error)
    }

    private func end(_ reason: AgentError) {
        let (pending, waiters, gates) = state.withLock { s -> ([CheckedContinuation<[UInt8], any Error>], [CheckedContinuation<ExitStatus, any Error>], [CreditGate]) in
            if s.endedBy == nil { s.endedBy = reason }
            let p = Array(s.pending.values)
            s.pending.removeAll()
            var w: [CheckedContinuation<ExitStatus, any Error>] = []
            var g: [CreditGate] = []
            for (id, route) in s.processes {
                if let c = route.exitWaiter { w.append(c) }
                if let gate = route.stdinGate { g.append(gate) }
                s.processes[id]?.exitWaiter = nil
            }
            return (p, w, g)
        }
        for c in pending { c.resume(throwing: reason) }
        for c in waiters { c.resume(throwing: reason) }
        for g in gates { g.close() }
    }
}

/// Host descriptors a guest process's stdio is wired to.
public struct ProcessStdio: Sendable {
    /// Read until EOF and sent as the process's stdin (only when the spec asks for stdin).
    public var stdin: Int32?
    public var stdout: Int32
    public var stderr: Int32

    public init(stdin: Int32?, stdout: Int32, stderr: Int32) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// A process running in a guest.
public struct GuestProcess: Sendable {
    public let stream: UInt32
    let connection: AgentConnection

    /// Waits until the process exited and all its output was delivered.
    public func wait() async throws -> ExitStatus {
        try await connection.waitForExit(stream: stream)
    }

    public func signal(_ signal: Int32) async throws {
        _ = try await connection.call(.signal(SignalRequest(stream: stream, signal: signal)), expecting: Empty.self)
    }

    public func resize(_ size: WindowSize) async throws {
        _ = try await connection.call(.resize(ResizeRequest(stream: stream, size: size)), expecting: Empty.self)
    }
}

public enum AgentError: Error, CustomStringConvertible, Sendable {
    case protocolViolation(ProtocolError)
    case timeout(String, Duration)
    case remote(String)
    case channel(String)
    case sessionClosed

    public var description: String {
        switch self {
        case .protocolViolation(let e): "guest agent broke the protocol (\(e)); its session was ended"
        case .timeout(let method, let d): "guest agent did not answer \(method) within \(d)"
        case .remote(let message): message
        case .channel(let message): "control channel: \(message)"
        case .sessionClosed: "the guest closed its control channel"
        }
    }
}
