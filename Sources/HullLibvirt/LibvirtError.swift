import CLibvirt

/// A failed libvirt call: libvirt's own code, domain and message, plus the call that
/// failed. The description says what to do next for the failures users meet first.
public struct LibvirtError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The C function that failed, e.g. `virDomainCreateXML`.
    public var operation: String
    /// `virErrorNumber` (`VIR_ERR_*`); 0 when libvirt left no error behind.
    public var code: Int32
    /// `virErrorDomain` (`VIR_FROM_*`): which part of libvirt reported it.
    public var domain: Int32
    public var message: String

    public init(operation: String, code: Int32, domain: Int32, message: String) {
        self.operation = operation
        self.code = code
        self.domain = domain
        self.message = message
    }

    /// The error libvirt recorded for the calling thread. libvirt keeps the last error
    /// per thread, so this must run on the thread of the failed call with no suspension
    /// point in between — every wrapper calls it right after the C function returns.
    static func last(_ operation: String) -> LibvirtError {
        guard let err = virGetLastError() else {
            return LibvirtError(operation: operation, code: 0, domain: 0,
                                message: "libvirt reported a failure but left no error message")
        }
        let message = err.pointee.message.map { String(cString: $0) } ?? "no message"
        return LibvirtError(operation: operation, code: err.pointee.code,
                            domain: err.pointee.domain, message: message)
    }

    /// The common situations, told apart by code and, where libvirt only has a generic
    /// code (`VIR_ERR_SYSTEM_ERROR`, `VIR_ERR_INTERNAL_ERROR`), by its message.
    public enum Kind: Sendable, Equatable {
        case cannotConnect
        /// libvirt has no driver for the URI (mistyped, or the daemon packages are missing).
        case noDriver
        case permissionDenied
        /// A file the guest needs (kernel, disk, log, socket folder) is missing or
        /// unreadable for the QEMU process.
        case fileAccess
        case noDomain
        case notRunning
        case invalidXML
        case unsupportedConfiguration
        case other
    }

    public var kind: Kind {
        let m = message.lowercased()
        switch code {
        case Self.code(VIR_ERR_NO_DOMAIN):
            return .noDomain
        case Self.code(VIR_ERR_AUTH_FAILED), Self.code(VIR_ERR_AUTH_UNAVAILABLE),
             Self.code(VIR_ERR_AUTH_CANCELLED), Self.code(VIR_ERR_ACCESS_DENIED),
             Self.code(VIR_ERR_OPERATION_DENIED):
            return .permissionDenied
        case Self.code(VIR_ERR_XML_ERROR), Self.code(VIR_ERR_XML_DETAIL):
            return .invalidXML
        case Self.code(VIR_ERR_CONFIG_UNSUPPORTED):
            return .unsupportedConfiguration
        case Self.code(VIR_ERR_OPERATION_INVALID) where m.contains("not running"):
            return .notRunning
        default:
            break
        }
        // Non-root clients of qemu:///system are sent to polkit over D-Bus; both a missing
        // bus and a refused socket mean "not allowed", not "daemon down".
        let connecting = operation.hasPrefix("virConnectOpen")
        if connecting && (m.contains("permission denied") || m.contains("polkit")
            || m.contains("system bus") || m.contains("authentication")) {
            return .permissionDenied
        }
        // After connecting, the same words are about a guest's files, which the QEMU
        // process opens as its own user, not the caller's.
        if !connecting && (m.contains("permission denied") || m.contains("cannot access storage file")
            || m.contains("unable to stat") || m.contains("no such file")) && !m.contains("connect socket") {
            return .fileAccess
        }
        if m.contains("no connection driver") {
            return .noDriver
        }
        if code == Self.code(VIR_ERR_NO_CONNECT) || m.contains("failed to connect socket")
            || m.contains("connection refused") || m.contains("client socket is closed") {
            return .cannotConnect
        }
        return .other
    }

    /// What the user can do about it, when Hull knows.
    public var hint: String? {
        switch kind {
        case .cannotConnect where message.contains("virtlogd"):
            // QEMU's own log always goes through virtlogd, so guests cannot start without it.
            "virtlogd is not running: start `virtlogd -d` (or `systemctl start virtlogd`), or run scripts/setup.sh"
        case .cannotConnect:
            "is libvirtd running? start `virtlogd -d; libvirtd -d` (or `systemctl start libvirtd`), or run scripts/setup.sh"
        case .noDriver:
            "check the connection URI (Hull uses qemu:///system) and that libvirt-daemon-system and libvirt-daemon-driver-qemu are installed"
        case .permissionDenied:
            "qemu:///system needs root: run as root (or as a member of group libvirt where polkit allows it)"
        case .fileAccess:
            "check the path above: it must exist, and under qemu:///system QEMU opens it as user libvirt-qemu, so the file and every folder above it must be accessible to that user"
        case .invalidXML:
            "libvirt rejected the domain XML; if Hull generated it, that is a bug in Hull: please report it with the message above"
        case .unsupportedConfiguration:
            "this host's QEMU/libvirt lacks a feature the guest asks for; `hull doctor` shows what the host offers"
        case .noDomain, .notRunning, .other:
            nil
        }
    }

    public var description: String {
        var text = "libvirt: \(operation) failed: \(message)"
        if code != 0 { text += " (code \(code), domain \(domain))" }
        if let hint { text += "\n  → \(hint)" }
        return text
    }

    static func code(_ number: virErrorNumber) -> Int32 { Int32(bitPattern: number.rawValue) }
}
