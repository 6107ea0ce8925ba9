import CLibvirt
import Foundation
import Logging

/// What happened to a domain, from libvirt's lifecycle events.
public enum DomainLifecycleEvent: Sendable, Equatable {
    case started
    /// The domain stopped; `reason` says how, in words a user can read.
    case stopped(reason: String)
    case other(event: Int32, detail: Int32)

    static func from(event: Int32, detail: Int32) -> DomainLifecycleEvent {
        switch UInt32(bitPattern: event) {
        case VIR_DOMAIN_EVENT_STARTED.rawValue:
            return .started
        case VIR_DOMAIN_EVENT_STOPPED.rawValue:
            let reason: String
            switch UInt32(bitPattern: detail) {
            case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN.rawValue: reason = "the guest shut down"
            case VIR_DOMAIN_EVENT_STOPPED_DESTROYED.rawValue: reason = "the guest was destroyed (virsh destroy or a host-side kill)"
            case VIR_DOMAIN_EVENT_STOPPED_CRASHED.rawValue: reason = "the guest crashed"
            case VIR_DOMAIN_EVENT_STOPPED_FAILED.rawValue: reason = "QEMU or libvirt failed"
            default: reason = "the guest stopped (libvirt detail \(detail))"
            }
            return .stopped(reason: reason)
        case VIR_DOMAIN_EVENT_CRASHED.rawValue:
            return .stopped(reason: "the guest crashed")
        default:
            return .other(event: event, detail: detail)
        }
    }
}

/// libvirt's default event loop on a thread of its own. Must start before the
/// connection that registers callbacks is opened (libvirt's rule).
public enum LibvirtEventLoop {
    public static let started: Void = {
        LibvirtLibrary.ready
        _ = virEventRegisterDefaultImpl()
        let thread = Thread {
            while true {
                if virEventRunDefaultImpl() < 0 { usleep(100_000) }
            }
        }
        thread.name = "libvirt-events"
        thread.start()
    }()
}

/// Delivers lifecycle events of every domain on `connection` to `handler` (on libvirt's
/// event thread: the handler must return quickly). Events stop when this is released.
public final class DomainEventWatcher: @unchecked Sendable {
    public typealias Handler = @Sendable (_ domainName: String, _ event: DomainLifecycleEvent) -> Void

    private final class Box {
        let handler: Handler
        init(_ handler: @escaping Handler) { self.handler = handler }
    }

    private let connection: LibvirtConnection
    private let callbackID: Int32

    public init(connection: LibvirtConnection, handler: @escaping Handler) throws {
        LibvirtEventLoop.started
        self.connection = connection
        let opaque = Unmanaged.passRetained(Box(handler)).toOpaque()
        let lifecycle: @convention(c) (OpaquePointer?, OpaquePointer?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
            _, domain, event, detail, opaque in
            guard let domain, let opaque, let cName = virDomainGetName(domain) else { return 0 }
            let box = Unmanaged<Box>.fromOpaque(opaque).takeUnretainedValue()
            box.handler(String(cString: cName), DomainLifecycleEvent.from(event: event, detail: detail))
            return 0
        }
        let free: @convention(c) (UnsafeMutableRawPointer?) -> Void = { opaque in
            if let opaque { Unmanaged<Box>.fromOpaque(opaque).release() }
        }
        // VIR_DOMAIN_EVENT_CALLBACK(): the lifecycle callback is passed as the generic type.
        let generic = unsafeBitCast(lifecycle, to: virConnectDomainEventGenericCallback.self)
        let id = virConnectDomainEventRegisterAny(connection.pointer, nil,
                                                  Int32(VIR_DOMAIN_EVENT_ID_LIFECYCLE.rawValue),
                                                  generic, opaque, free)
        guard id >= 0 else {
            Unmanaged<Box>.fromOpaque(opaque).release()
            throw LibvirtError.last("virConnectDomainEventRegisterAny")
        }
        callbackID = id
    }

    deinit {
        _ = virConnectDomainEventDeregisterAny(connection.pointer, callbackID)
    }
}
