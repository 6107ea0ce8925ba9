import Foundation
import CLibvirt
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open connection to a libvirt daemon (by default the system QEMU driver).
///
/// `@unchecked Sendable` because libvirt connections are thread-safe: every public
/// libvirt API locks internally and one `virConnectPtr` may be used by many threads at
/// once (the remote driver serialises the RPCs on its socket). The only per-thread state
/// is the last error, which each method reads right after its C call, on the same thread.
/// The pointer never changes after `init` and is released only in `deinit`.
public final class LibvirtConnection: @unchecked Sendable {
    /// libvirt's system instance, or `HULL_LIBVIRT_URI` (a test points it at a socket
    /// where no libvirtd listens, to see hulld without libvirt).
    public static var defaultURI: String {
        ProcessInfo.processInfo.environment["HULL_LIBVIRT_URI"].flatMap { $0.isEmpty ? nil : $0 } ?? "qemu:///system"
    }

    public let uri: String
    let pointer: OpaquePointer
    let logger: Logger

    /// Opens `uri`. Domains created here with `autodestroy` live as long as this
    /// connection: until this object and every `LibvirtDomain` from it are gone, or
    /// until the process exits, whichever comes first.
    public init(uri: String = LibvirtConnection.defaultURI,
                logger: Logger = Logger(label: "hull.libvirt")) throws {
        LibvirtLibrary.ready
        guard let conn = virConnectOpen(uri) else {
            throw LibvirtError.last("virConnectOpen(\(uri))")
        }
        self.uri = uri
        self.pointer = conn
        self.logger = logger
    }

    public static func open(uri: String = LibvirtConnection.defaultURI,
                            logger: Logger = Logger(label: "hull.libvirt")) throws -> LibvirtConnection {
        try LibvirtConnection(uri: uri, logger: logger)
    }

    deinit {
        virConnectClose(pointer)
    }

    /// Starts a transient domain (gone from libvirt once it stops). With `autodestroy`,
    /// libvirt destroys it when this connection closes — also when this process dies —
    /// so a crashed host process never leaves guests behind.
    public func createTransient(xml: String, autodestroy: Bool) throws -> LibvirtDomain {
        let flags: UInt32 = autodestroy ? VIR_DOMAIN_START_AUTODESTROY.rawValue : 0
        guard let dom = virDomainCreateXML(pointer, xml, flags) else {
            throw LibvirtError.last("virDomainCreateXML")
        }
        let domain = LibvirtDomain(pointer: dom, connection: self)
        logger.debug("domain started", metadata: [
            "domain": "\(domain.name)", "uuid": "\(domain.uuidString)", "autodestroy": "\(autodestroy)",
        ])
        return domain
    }

    /// Checks `spec` (`DomainSpecError` names every problem), renders it and starts it.
    public func createTransient(_ spec: DomainSpec, autodestroy: Bool) throws -> LibvirtDomain {
        try spec.validate()
        return try createTransient(xml: DomainXML.render(spec), autodestroy: autodestroy)
    }

    /// The domain called `name`, or nil when libvirt has none by that name.
    public func lookup(name: String) throws -> LibvirtDomain? {
        guard let dom = virDomainLookupByName(pointer, name) else {
            let error = LibvirtError.last("virDomainLookupByName(\(name))")
            if error.kind == .noDomain { return nil }
            throw error
        }
        return LibvirtDomain(pointer: dom, connection: self)
    }

    /// The domain with this UUID (canonical string form), or nil.
    public func lookup(uuid: String) throws -> LibvirtDomain? {
        guard let dom = virDomainLookupByUUIDString(pointer, uuid) else {
            let error = LibvirtError.last("virDomainLookupByUUIDString(\(uuid))")
            if error.kind == .noDomain { return nil }
            throw error
        }
        return LibvirtDomain(pointer: dom, connection: self)
    }

    /// Every domain libvirt knows, running or defined. A transient guest that stops
    /// while the list is being read is left out rather than failing the whole call.
    public func listDomains() throws -> [DomainInfo] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = virConnectListAllDomains(pointer, &list, 0)
        guard count >= 0 else { throw LibvirtError.last("virConnectListAllDomains") }
        guard let list else { return [] }
        defer { free(list) }
        let handles = (0..<Int(count)).compactMap { list[$0] }
        defer { handles.forEach { virDomainFree($0) } }

        var result: [DomainInfo] = []
        result.reserveCapacity(handles.count)
        for handle in handles {
            let name = LibvirtDomain.name(of: handle)
            var state: Int32 = 0
            guard virDomainGetState(handle, &state, nil, 0) == 0 else {
                let error = LibvirtError.last("virDomainGetState(\(name))")
                if error.kind == .noDomain { continue }
                throw error
            }
            let active = virDomainIsActive(handle)
            guard active >= 0 else {
                let error = LibvirtError.last("virDomainIsActive(\(name))")
                if error.kind == .noDomain { continue }
                throw error
            }
            result.append(DomainInfo(name: name, uuid: LibvirtDomain.uuidString(of: handle),
                                     state: DomainState(libvirt: state), active: active == 1))
        }
        return result
    }

    /// The daemon's libvirt version, e.g. "9.0.0"; "unknown" if the daemon won't say.
    public var libvirtVersion: String {
        var version: UInt = 0
        guard virConnectGetLibVersion(pointer, &version) == 0 else { return "unknown" }
        return Self.format(version: version)
    }

    /// The hypervisor's version (QEMU's for qemu:// URIs), e.g. "7.2.22".
    public var hypervisorVersion: String {
        var version: UInt = 0
        guard virConnectGetVersion(pointer, &version) == 0 else { return "unknown" }
        return Self.format(version: version)
    }

    /// The libvirt client library this process links, e.g. "9.0.0".
    public static var clientLibraryVersion: String {
        var version: UInt = 0
        guard virGetVersion(&version, nil, nil) == 0 else { return "unknown" }
        return format(version: version)
    }

    /// The daemon's capabilities XML. Note: for acceleration, trust `KVMProbe`, not
    /// the `<domain type='kvm'>` entries here — libvirt lists kvm whenever /dev/kvm
    /// opens, even where guests hang because the CPU lacks vmx/svm.
    public func capabilities() throws -> String {
        guard let xml = virConnectGetCapabilities(pointer) else {
            throw LibvirtError.last("virConnectGetCapabilities")
        }
        defer { free(xml) }
        return String(cString: xml)
    }

    /// False once the daemon has gone away under this connection.
    public var isAlive: Bool { virConnectIsAlive(pointer) == 1 }

    /// libvirt packs versions as major * 1,000,000 + minor * 1,000 + release.
    static func format(version: UInt) -> String {
        "\(version / 1_000_000).\(version / 1_000 % 1_000).\(version % 1_000)"
    }
}
