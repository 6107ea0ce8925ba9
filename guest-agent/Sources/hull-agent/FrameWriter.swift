import Glibc
import HullProtocol
import Synchronization

/// The only way bytes reach the host. One lock, and every frame written completely before
/// the next, so frames never interleave and a process's output frames, sent before its
/// exit event, also arrive before it.
final class FrameWriter: Sendable {
    private let fd: Int32
    /// The session epoch (docs/protocol.md, "Resuming"); changed only with the lock held.
    private let lock = Mutex<UInt8>(0)
    private let channelBroken: @Sendable (String) -> Never

    /// Output pumps keep what they sent for a host that resumes (`hull.persist=1`).
    let keepsReplay: Bool

    /// `channelBroken` runs when a write fails: the host is gone.
    init(fd: Int32, keepsReplay: Bool = false, channelBroken: @escaping @Sendable (String) -> Never) {
        self.fd = fd
        self.keepsReplay = keepsReplay
        self.channelBroken = channelBroken
    }

    /// The current session epoch.
    var epoch: UInt8 { lock.withLock { $0 } }

    /// Sends `frame`; data, window and event frames carry the current epoch.
    func send(_ frame: Frame) {
        exclusive { $0.send(frame) }
    }

    /// Runs `body` holding the writer: nothing else is written meanwhile. `body` gets a
    /// `LockedWriter` to write frames and read or start (on a resume) the epoch.
    func exclusive<R>(_ body: (LockedWriter) -> R) -> R {
        let (result, error) = lock.withLock { epoch in
            let locked = LockedWriter(fd: fd, epoch: epoch)
            let result = body(locked)
            epoch = locked.epoch
            return (result, locked.error)
        }
        if error != 0 {
            channelBroken("writing to the control channel failed: \(SystemError.message(for: error))")
        }
        return result
    }

    /// Sends a frame whose payload already sits in `buffer` after `Frame.headerSize` bytes
    /// of room for the header: the output pumps read straight into it, so a data frame
    /// costs no allocation and no copy.
    /// `epoch` is the one the pump's credit was taken in, not the current one: bytes
    /// counted against an old host's window must not reach the new host as its own.
    func sendPrepared(_ buffer: UnsafeMutableRawBufferPointer, payloadCount: Int,
                      stream: UInt32, type: FrameType, epoch: UInt8) {
        precondition(payloadCount + Frame.headerSize <= buffer.count)
        storeBigEndian(UInt32(payloadCount), at: 0, in: buffer)
        storeBigEndian(stream, at: 4, in: buffer)
        buffer[8] = type.rawValue
        buffer[9] = FrameFlags.epoch(epoch).rawValue
        sendEncoded(UnsafeRawBufferPointer(rebasing: buffer[0..<(Frame.headerSize + payloadCount)]))
    }

    func respond<R>(stream: UInt32, _ response: Response<R>) {
        send(Frame(streamID: stream, type: .response, payload: MessageCoding.encode(response)))
    }

    func respondError(stream: UInt32, _ message: String) {
        respond(stream: stream, Response<Empty>(error: message))
    }

    func sendEvent(stream: UInt32, _ event: Event) {
        send(Frame(streamID: stream, type: .event, payload: MessageCoding.encode(event)))
    }

    private func sendEncoded(_ bytes: UnsafeRawBufferPointer) {
        let error = lock.withLock { _ in FileIO.writeAll(fd, bytes) }  // epoch: set by the caller
        if error != 0 {
            channelBroken("writing to the control channel failed: \(SystemError.message(for: error))")
        }
    }

    private func storeBigEndian(_ value: UInt32, at offset: Int, in buffer: UnsafeMutableRawBufferPointer) {
        buffer[offset] = UInt8(truncatingIfNeeded: value >> 24)
        buffer[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        buffer[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        buffer[offset + 3] = UInt8(truncatingIfNeeded: value)
    }
}

/// The frame writer while held (`FrameWriter.exclusive`).
final class LockedWriter {
    private let fd: Int32
    var epoch: UInt8
    private(set) var error: Int32 = 0

    init(fd: Int32, epoch: UInt8) {
        self.fd = fd
        self.epoch = epoch
    }

    func send(_ frame: Frame) {
        guard error == 0 else { return }
        var frame = frame
        switch frame.type {
        case .stdout, .stderr, .window, .event:
            frame.flags = FrameFlags(rawValue: frame.flags.withoutEpoch.rawValue | FrameFlags.epoch(epoch).rawValue)
        case .request, .response, .stdin:
            break
        }
        let bytes = frame.encoded()
        error = bytes.withUnsafeBytes { FileIO.writeAll(fd, $0) }
    }
}
