import Glibc
import HullProtocol
import Synchronization

/// The only way bytes reach the host. One lock, and every frame written completely before
/// the next, so frames never interleave and a process's output frames, sent before its
/// exit event, also arrive before it.
final class FrameWriter: Sendable {
    private let fd: Int32
    private let lock = Mutex<Void>(())
    private let channelBroken: @Sendable (String) -> Never

    /// `channelBroken` runs when a write fails: the host is gone.
    init(fd: Int32, channelBroken: @escaping @Sendable (String) -> Never) {
        self.fd = fd
        self.channelBroken = channelBroken
    }

    func send(_ frame: Frame) {
        let bytes = frame.encoded()
        bytes.withUnsafeBytes { sendEncoded($0) }
    }

    /// Sends a frame whose payload already sits in `buffer` after `Frame.headerSize` bytes
    /// of room for the header: the output pumps read straight into it, so a data frame
    /// costs no allocation and no copy.
    func sendPrepared(_ buffer: UnsafeMutableRawBufferPointer, payloadCount: Int,
                      stream: UInt32, type: FrameType, flags: FrameFlags = []) {
        precondition(payloadCount + Frame.headerSize <= buffer.count)
        storeBigEndian(UInt32(payloadCount), at: 0, in: buffer)
        storeBigEndian(stream, at: 4, in: buffer)
        buffer[8] = type.rawValue
        buffer[9] = flags.rawValue
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
        let error = lock.withLock { _ in FileIO.writeAll(fd, bytes) }
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
