import Foundation
import Glibc

/// The byte stream to one guest's agent. Today a virtio-serial port exposed by libvirt as
/// a unix socket on the host; where the host has vhost-vsock, an AF_VSOCK connection.
/// Both end up as a connected file descriptor; the protocol above does not care which.
public enum ControlTransport: Sendable, Equatable, CustomStringConvertible {
    case virtioSerial(socketPath: String)
    case vsock(cid: UInt32, port: UInt32)

    /// Name of the virtio-serial port the agent looks for in /sys/class/virtio-ports.
    public static let portName = "org.hull.control.0"
    /// Port the agent listens on when the channel is vsock.
    public static let vsockPort: UInt32 = 1024

    public var description: String {
        switch self {
        case .virtioSerial(let path): "virtio-serial (\(path))"
        case .vsock(let cid, let port): "vsock (cid \(cid), port \(port))"
        }
    }

    /// Connects, retrying until `deadline` while the endpoint is not there yet.
    public func connect(deadline: ContinuousClock.Instant) async throws -> Int32 {
        while true {
            do {
                return try connectOnce()
            } catch let error as TransportError where error.isRetryable && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    private func connectOnce() throws -> Int32 {
        switch self {
        case .virtioSerial(let path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw TransportError.system("socket", errno) }
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
                close(fd)
                throw TransportError.pathTooLong(path)
            }
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if rc != 0 {
                let e = errno
                close(fd)
                throw TransportError.system("connect \(path)", e)
            }
            return fd
        case .vsock(let cid, let port):
            let fd = socket(AF_VSOCK, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw TransportError.system("socket(AF_VSOCK)", errno) }
            var addr = VsockAddress(port: port, cid: cid)
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<VsockAddress>.size))
                }
            }
            if rc != 0 {
                let e = errno
                close(fd)
                throw TransportError.system("connect vsock \(cid):\(port)", e)
            }
            return fd
        }
    }
}

public enum TransportError: Error, CustomStringConvertible {
    case system(String, Int32)
    case pathTooLong(String)

    var isRetryable: Bool {
        if case .system(_, let e) = self { return e == ENOENT || e == ECONNREFUSED || e == ECONNRESET || e == ENODEV || e == ETIMEDOUT }
        return false
    }

    public var description: String {
        switch self {
        case let .system(what, e): "\(what): \(String(cString: strerror(e)))"
        case let .pathTooLong(p): "control socket path too long for a unix socket (\(p.utf8.count) bytes): use a shorter HULL_HOME"
        }
    }
}

/// `struct sockaddr_vm` from <linux/vm_sockets.h>, which Glibc's module map does not
/// export: family, reserved, port, cid, flags, 3 zero bytes (16 bytes, natural alignment).
private struct VsockAddress {
    var family = UInt16(AF_VSOCK)
    var reserved: UInt16 = 0
    var port: UInt32
    var cid: UInt32
    var flags: UInt8 = 0
    var zero: (UInt8, UInt8, UInt8) = (0, 0, 0)

    init(port: UInt32, cid: UInt32) {
        self.port = port
        self.cid = cid
    }
}
