import Glibc
import HullProtocol

/// Carries one output stream of a process (stdout, stderr, or a terminal's merged output)
/// to the host. It never reads more than the host has granted, so a slow host stalls the
/// process on a full pipe instead of filling the guest's memory, and it ends the stream
/// with an empty end-of-stream frame.
final class OutputPump: Sendable {
    let stream: UInt32
    let frameType: FrameType
    private let fd: Int32
    /// A pty master reads EIO once every slave descriptor is closed: its end of file.
    private let isTerminal: Bool
    private let writer: FrameWriter
    /// Bytes the host has granted and the pump not yet sent (only the pump subtracts),
    /// and the session epoch they were granted in.
    private struct Credit: Sendable {
        var bytes = Int(ProtocolLimits.initialWindow)
        var epoch: UInt8
        /// No host is connected: bytes read stay here until one resumes the session.
        var paused = false
    }
    private let credit: ConditionLock<Credit>

    /// A host that keeps granting without reading cannot overflow the counter.
    private static let creditCeiling = 1 << 40

    init(stream: UInt32, frameType: FrameType, fd: Int32, isTerminal: Bool, writer: FrameWriter) {
        self.stream = stream
        self.frameType = frameType
        self.fd = fd
        self.isTerminal = isTerminal
        self.writer = writer
        credit = ConditionLock(Credit(epoch: writer.epoch))
    }

    func grant(_ increment: UInt32) {
        credit.withLock { $0.bytes = min($0.bytes + Int(increment), OutputPump.creditCeiling) }
    }

    /// A new host took over (called with the frame writer held): a full window in the
    /// new epoch. Bytes read under the old epoch go out tagged with it and are dropped.
    func resume(epoch: UInt8) {
        credit.withLock { $0 = Credit(bytes: Int(ProtocolLimits.initialWindow), epoch: epoch) }
    }

    /// The host went away: send nothing until one resumes; the process blocks once its
    /// pipe is full, as with a slow reader, and loses no output.
    func pause() {
        credit.withLock { $0.paused = true }
    }

    /// Starts the pump; `finished` runs after the end-of-stream frame was written.
    func start(finished: @escaping @Sendable () -> Void) {
        do {
            try Threads.start("\(frameType == .stdout ? "out" : "err")-\(stream)") {
                self.run()
                finished()
            }
        } catch {
            Log.info("stream \(stream): \(error); its \(frameType) is lost")
            close(fd)
            writer.send(Frame(streamID: stream, type: frameType, flags: .endOfStream))
            finished()
        }
    }

    /// Closes the descriptor of a pump that will never run (its process did not start).
    func discard() {
        close(fd)
    }

    private func run() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Frame.headerSize + ProtocolLimits.maxDataChunk, alignment: 8)
        defer {
            buffer.deallocate()
            close(fd)
        }
        while true {
            let allowed = credit.wait(until: { $0.bytes > 0 && !$0.paused }) { min($0.bytes, ProtocolLimits.maxDataChunk) }
            let payload = UnsafeMutableRawBufferPointer(start: buffer.baseAddress! + Frame.headerSize, count: allowed)
            let n = FileIO.readSome(fd, into: payload)
            if n > 0 {
                // Read while a host was there, held if it went meanwhile: sent in the epoch
                // of the host that resumes (its full window always fits one chunk).
                let epoch = credit.wait(until: { !$0.paused }) { c in
                    c.bytes -= n
                    return c.epoch
                }
                writer.sendPrepared(buffer, payloadCount: n, stream: stream, type: frameType, epoch: epoch)
                continue
            }
            if n < 0 && !(isTerminal && -n == Int(EIO)) {
                Log.info("stream \(stream): reading \(frameType): \(SystemError.message(for: Int32(-n)))")
            }
            break
        }
        writer.send(Frame(streamID: stream, type: frameType, flags: .endOfStream))
    }
}
