import CLibvirt
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A handle on one libvirt domain.
///
/// `@unchecked Sendable` for the same reason as `LibvirtConnection`: a `virDomainPtr` is
/// an immutable, reference-counted handle (name, UUID, connection) and every call on it
/// goes through the thread-safe connection. The handle keeps its connection open, which
/// also keeps an autodestroy guest alive for as long as this object exists.
public final class LibvirtDomain: @unchecked Sendable {
    public let name: String
    /// Canonical lowercase UUID, e.g. "4b1e…-…".
    public let uuidString: String
    let pointer: OpaquePointer
    private let connection: LibvirtConnection

    init(pointer: OpaquePointer, connection: LibvirtConnection) {
        self.pointer = pointer
        self.connection = connection
        self.name = Self.name(of: pointer)
        self.uuidString = Self.uuidString(of: pointer)
    }

    deinit {
        virDomainFree(pointer)
    }

    /// The run state. A transient domain that has stopped no longer exists in libvirt;
    /// that reads as `.shutoff`, like `isActive()` reads it as false.
    public func state() throws -> DomainState {
        var state: Int32 = 0
        guard virDomainGetState(pointer, &state, nil, 0) == 0 else {
            let error = LibvirtError.last("virDomainGetState(\(name))")
            if error.kind == .noDomain { return .shutoff }
            throw error
        }
        return DomainState(libvirt: state)
    }

    /// Whether the guest is running (or paused). A transient domain that has already
    /// stopped no longer exists in libvirt; that reads as false, not as an error.
    public func isActive() throws -> Bool {
        switch virDomainIsActive(pointer) {
        case 1: return true
        case 0: return false
        default:
            let error = LibvirtError.last("virDomainIsActive(\(name))")
            if error.kind == .noDomain { return false }
            throw error
        }
    }

    /// CPU time the guest used so far (all vCPUs, nanoseconds) and its memory (KiB).
    public func usage() throws -> (cpuTimeNanoseconds: UInt64, memoryKiB: UInt64, vcpus: Int) {
        var info = virDomainInfo()
        guard virDomainGetInfo(pointer, &info) == 0 else { throw LibvirtError.last("virDomainGetInfo(\(name))") }
        return (UInt64(info.cpuTime), UInt64(info.memory), Int(info.nrVirtCpu))
    }

    /// Stops the guest at once (pulls the plug). A guest that has already stopped —
    /// guests power themselves off concurrently — counts as success, so this is safe to
    /// call more than once.
    public func destroy() throws {
        if virDomainDestroy(pointer) == 0 {
            connection.logger.debug("domain destroyed", metadata: ["domain": "\(name)"])
            return
        }
        let error = LibvirtError.last("virDomainDestroy(\(name))")
        switch error.kind {
        case .noDomain, .notRunning:
            connection.logger.debug("domain already stopped", metadata: ["domain": "\(name)", "libvirt": "\(error.message)"])
        default:
            throw error
        }
    }

    /// The domain XML as libvirt holds it now (with the devices and addresses libvirt
    /// added), for diagnostics.
    public func xmlDescription() throws -> String {
        guard let xml = virDomainGetXMLDesc(pointer, 0) else {
            throw LibvirtError.last("virDomainGetXMLDesc(\(name))")
        }
        defer { free(xml) }
        return String(cString: xml)
    }

    /// The Hull container id stored in the domain's metadata by `DomainXML`, or nil for
    /// a domain Hull did not create.
    public func hullContainerID() throws -> String? {
        let type = Int32(bitPattern: VIR_DOMAIN_METADATA_ELEMENT.rawValue)
        guard let xml = virDomainGetMetadata(pointer, type, HullMetadata.namespaceURI, 0) else {
            let error = LibvirtError.last("virDomainGetMetadata(\(name))")
            if error.code == LibvirtError.code(VIR_ERR_NO_DOMAIN_METADATA) { return nil }
            throw error
        }
        defer { free(xml) }
        return HullMetadata.containerID(fromElement: String(cString: xml))
    }

    static func name(of handle: OpaquePointer) -> String {
        virDomainGetName(handle).map { String(cString: $0) } ?? ""
    }

    static func uuidString(of handle: OpaquePointer) -> String {
        // VIR_UUID_STRING_BUFLEN is 37; the macro is an expression Swift does not import.
        var buffer = [CChar](repeating: 0, count: 64)
        return buffer.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress, virDomainGetUUIDString(handle, base) == 0 else { return "" }
            return String(cString: base)
        }
    }
}
