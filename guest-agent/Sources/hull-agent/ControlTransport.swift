import CAgentSupport
import Glibc

/// How the byte stream to the host is reached. Every transport ends as one connected
/// descriptor; the protocol above does not know which it is.
enum ControlTransport: Sendable, CustomStringConvertible {
    /// virtio-serial port found by name (the default: needs no vhost-vsock on the host).
    case virtioSerial(name: String)
    /// AF_VSOCK: listen on `port` for any CID and take the first connection.
    case vsock(port: UInt32)
    /// Test mode: connect to a unix socket on the machine the agent runs on.
    case unixSocket(path: String)

    static let controlPortName = "org.hull.control.0"
    static let vsockPort: UInt32 = 1024

    /// The transport a guest uses: `hull.channel=vsock` on the kernel command line selects
    /// vsock, anything else virtio-serial.
    static func forGuest(_ commandLine: KernelCommandLine) -> ControlTransport {
        switch commandLine.value(of: "hull.channel") {
        case "vsock"?:
            return .vsock(port: vsockPort)
        case nil, "virtio-serial"?:
            return .virtioSerial(name: controlPortName)
        case let other?:
            Log.info("unknown hull.channel=\(other); using virtio-serial")
            return .virtioSerial(name: controlPortName)
        }
    }

    /// A virtio-serial port reads end-of-file while no host is connected, so before the
    /// host's first bytes an end of file means "not yet", not "gone".
    var endOfFileBeforeHostSpeaks: EndOfFileMeaning {
        if case .virtioSerial = self { return .hostNotConnectedYet }
        return .hostGone
    }

    enum EndOfFileMeaning: Sendable {
        case hostNotConnectedYet
        case hostGone
    }

    var description: String {
        switch self {
        case .virtioSerial(let name): "virtio-serial port \(name)"
        case .vsock(let port): "vsock port \(port)"
        case .unixSocket(let path): "unix socket \(path)"
        }
    }

    func open() throws(AgentError) -> Int32 {
        switch self {
        case .virtioSerial(let name):
            return try ChannelFinder.openPort(named: name, timeout: .seconds(10))
        case .vsock(let port):
            Log.info("control channel: waiting for the host on vsock port \(port)")
            let fd = hull_vsock_accept_one(port)
            guard fd >= 0 else { throw AgentError("\(SystemError("vsock port \(port)"))") }
            return fd
        case .unixSocket(let path):
            return try connectUnixSocket(path)
        }
    }

    private func connectUnixSocket(_ path: String) throws(AgentError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw AgentError("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw AgentError("\(SystemError("socket"))") }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            let error = SystemError("connect \(path)")
            close(fd)
            throw AgentError("\(error)")
        }
        return fd
    }
}
