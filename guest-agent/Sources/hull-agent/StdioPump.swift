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
        /// A host resumed: nothing new goes out until it said from where to send again.
        var awaitingReplay = false
        /// The bytes the new host asked for again are going out.
        var replaying = false
        var ring: ReplayRing

        var mayGoOn: Bool { !paused && !awaitingReplay && !replaying }
    }
    private let credit: ConditionLock<Credit>
    /// What a pump keeps for replay: the window and a full pipe fit in it.
    static let replayCapacity = 512 * 1024

    /// A host that keeps granting without reading cannot overflow the counter.
    private static let creditCeiling = 1 << 40

    /// `keepsReplay`: keep the last bytes sent (guests whose host may come back).
    init(stream: UInt32, frameType: FrameType, fd: Int32, isTerminal: Bool, writer: FrameWriter, keepsReplay: Bool) {
        self.stream = stream
        self.frameType = frameType
        self.fd = fd
        self.isTerminal = isTerminal
        self.writer = writer
        credit = ConditionLock(Credit(epoch: writer.epoch, ring: ReplayRing(capacity: keepsReplay ? OutputPump.replayCapacity : 0)))
    }

    func grant(_ increment: UInt32) {
        credit.withLock { $0.bytes = min($0.bytes + Int(increment), OutputPump.creditCeiling) }
    }

    /// A new host took over (called with the frame writer held): a full window in the
    /// new epoch. Bytes read under the old epoch go out tagged with it and are dropped.
    func resume(epoch: UInt8) {
        credit.withLock { c in
            c.bytes = Int(ProtocolLimits.initialWindow)
            c.epoch = epoch
            c.paused = false
            c.awaitingReplay = true
            c.replaying = false
        }
    }

    /// The resumed host logged this stream up to `offset` (`UInt64.max`: it wants nothing
    /// again): what it missed goes out first, within its window, then new output.
    func replay(from offset: UInt64) {
        let bytes: [UInt8] = credit.withLock { c in
            c.awaitingReplay = false
            let missed = offset == .max ? [] : c.ring.bytes(from: offset)
            if offset != .max, offset < c.ring.start {
                Log.info("stream \(stream): \(c.ring.start - offset) bytes of \(frameType) were no longer kept for replay")
            }
            c.replaying = !missed.isEmpty
            return missed
        }
        guard !bytes.isEmpty else { return }
        Log.info("stream \(stream): sending \(bytes.count) bytes of \(frameType) again")
        do {
            try Threads.start("replay-\(stream)") { self.send(again: bytes) }
        } catch {
            credit.withLock { $0.replaying = false }
        }
    }

    private func send(again bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let (count, epoch) = credit.wait(until: { $0.bytes > 0 || $0.paused }) { c -> (Int, UInt8?) in
                if c.paused { return (0, nil) }  // the host went again; a new resume replays
                let n = min(c.bytes, ProtocolLimits.maxDataChunk, bytes.count - offset)
                c.bytes -= n
                return (n, c.epoch)
            }
            guard let epoch else { break }
            writer.send(Frame(streamID: stream, type: frameType, flags: .epoch(epoch),
                              payload: Array(bytes[offset..<(offset + count)])))
            offset += count
        }
        credit.withLock { $0.replaying = false }
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
            let allowed = credit.wait(until: { $0.bytes > 0 && $0.mayGoOn }) { min($0.bytes, ProtocolLimits.maxDataChunk) }
            let payload = UnsafeMutableRawBufferPointer(start: buffer.baseAddress! + Frame.headerSize, count: allowed)
            let n = FileIO.readSome(fd, into: payload)
            if n > 0 {
                // Read while a host was there, held if it went meanwhile: sent in the epoch
                // of the host that resumes (its full window always fits one chunk).
                let epoch = credit.wait(until: { $0.mayGoOn }) { c in
                    c.bytes -= n
                    c.ring.append(UnsafeRawBufferPointer(rebasing: payload[0..<n]))
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
        // The end only after anything a resumed host asked for again: the exit event
        // follows the end of every output stream.
        credit.wait(until: { $0.mayGoOn }) { _ in }
        writer.send(Frame(streamID: stream, type: frameType, flags: .endOfStream))
    }
}
