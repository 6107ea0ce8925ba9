import Glibc
import HullProtocol

/// Feeds the host's `.stdin` frames to a process on a thread of its own, so the channel
/// reader never waits for a process to read. The queue is bounded by the window: the host
/// may have at most `initialWindow` bytes unacknowledged, and each byte is acknowledged
/// with a `.window` frame (fd 0) once it is in the process's pipe.
final class StdinWriter: Sendable {
    private struct State: Sendable {
        var chunks: [[UInt8]] = []
        /// Received and not yet given back as credit.
        var unacknowledged = 0
        var endOfStream = false
        /// The process is gone: drop everything and grant nothing more.
        var abandoned = false
    }

    let stream: UInt32
    /// A pipe's write end, or a duplicate of a pty master (closing which leaves the
    /// terminal open: a terminal's stdin has no end of file of its own).
    private let fd: Int32
    private let writer: FrameWriter
    private let state = ConditionLock(State())

    init(stream: UInt32, fd: Int32, writer: FrameWriter) {
        self.stream = stream
        self.fd = fd
        self.writer = writer
    }

    /// Queues bytes from the host; never blocks on the process. Throws when the host
    /// sent more than it was granted.
    func enqueue(_ bytes: [UInt8], endOfStream: Bool) throws(ProtocolError) {
        let withinWindow = state.withLock { s in
            if s.abandoned || s.endOfStream { return true }  // nobody reads these any more
            if s.unacknowledged + bytes.count > Int(ProtocolLimits.initialWindow) { return false }
            if !bytes.isEmpty {
                s.chunks.append(bytes)
                s.unacknowledged += bytes.count
            }
            if endOfStream { s.endOfStream = true }
            return true
        }
        if !withinWindow {
            throw .windowExceeded(stream: stream, fd: 0)
        }
    }

    /// A new host took over: it starts with a full window (called with the writer held).
    func resume() {
        state.withLock { $0.unacknowledged = 0 }
    }

    /// The process has ended and its exit is about to be reported: after this returns no
    /// more `.window` frames are sent for the stream.
    func abandon() {
        state.withLock { s in
            s.abandoned = true
            s.chunks = []
        }
    }

    func start() {
        do {
            try Threads.start("in-\(stream)") { self.run() }
        } catch {
            Log.info("stream \(stream): \(error); its stdin is closed")
            close(fd)
        }
    }

    /// Closes the descriptor of a writer that will never run (its process did not start).
    func discard() {
        close(fd)
    }

    private func run() {
        var pipeBroken = false
        while true {
            let (chunks, done) = state.wait(until: { !$0.chunks.isEmpty || $0.endOfStream || $0.abandoned }) { s in
                let taken = s.chunks
                s.chunks = []
                return (taken, s.endOfStream || s.abandoned)
            }
            for chunk in chunks {
                // A process that closed its stdin still gets credit back for what it was
                // sent, so the host's side of the stream never stalls on a dead pipe.
                if !pipeBroken {
                    let error = chunk.withUnsafeBytes { FileIO.writeAll(fd, $0) }
                    if error != 0 {
                        pipeBroken = true
                        if error != EPIPE {
                            Log.info("stream \(stream): writing stdin: \(SystemError.message(for: error))")
                        }
                    }
                }
                // Sent with the state locked so `abandon()` orders it before the exit event.
                // Lock order: the writer, then this state (as a resume takes them).
                writer.exclusive { locked in
                    state.withLock { s in
                        guard !s.abandoned else { return }
                        s.unacknowledged -= chunk.count
                        locked.send(WindowCredit.frame(stream: stream, fd: 0, increment: UInt32(chunk.count)))
                    }
                }
            }
            if done { break }
        }
        close(fd)
    }
}
