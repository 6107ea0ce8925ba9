/// Encoding of `.window` frames: a u32 big-endian credit increment for one stdio fd.
public enum WindowCredit {
    public static func frame(stream: UInt32, fd: UInt8, increment: UInt32) -> Frame {
        var payload = [UInt8]()
        payload.appendBigEndian(increment)
        return Frame(streamID: stream, type: .window, flags: FrameFlags(rawValue: fd), payload: payload)
    }

    /// The (fd, increment) a window frame carries.
    public static func decode(_ frame: Frame) throws(ProtocolError) -> (fd: UInt8, increment: UInt32) {
        let fd = frame.flags.withoutEpoch.rawValue
        guard frame.type == .window, frame.payload.count == 4, fd <= 2 else {
            throw .malformedMessage("window frame must carry fd 0-2 and a 4-byte increment")
        }
        let p = frame.payload
        let inc = UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
        return (fd, inc)
    }
}
