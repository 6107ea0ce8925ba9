import Foundation

/// Which transport carries a guest's control channel.
///
/// virtio-serial works on every host libvirt runs on and is the default. vsock needs
/// /dev/vhost-vsock on the host; it is opt-in with `HULL_CHANNEL=vsock` because no
/// development host has vhost-vsock, so that path is built (host connect, guest listen,
/// libvirt `<vsock>`) but not yet exercised by the test suite.
public enum ControlChannelChoice: String, Sendable {
    case virtioSerial = "virtio-serial"
    case vsock

    public static let environmentVariable = "HULL_CHANNEL"

    public static func decide(environment: [String: String] = ProcessInfo.processInfo.environment,
                              vhostVsockPresent: Bool = FileManager.default.fileExists(atPath: "/dev/vhost-vsock"))
        throws -> ControlChannelChoice {
        switch environment[environmentVariable] ?? "" {
        case "", "virtio-serial", "auto":
            return .virtioSerial
        case "vsock":
            guard vhostVsockPresent else { throw ControlChannelError.vsockUnavailable }
            return .vsock
        case let other:
            throw ControlChannelError.unknown(other)
        }
    }

    /// A guest context id for vsock: 0-2 are reserved, and u32 max is VMADDR_CID_ANY.
    static func randomCID() -> UInt32 {
        UInt32.random(in: 3...(UInt32.max - 1))
    }
}

public enum ControlChannelError: Error, CustomStringConvertible {
    case vsockUnavailable
    case unknown(String)

    public var description: String {
        switch self {
        case .vsockUnavailable:
            "HULL_CHANNEL=vsock, but this host has no /dev/vhost-vsock (modprobe vhost_vsock, or unset HULL_CHANNEL to use virtio-serial)"
        case .unknown(let value):
            "HULL_CHANNEL=\(value) is not a channel: use virtio-serial or vsock"
        }
    }
}
