import Foundation
import HullLibvirt
import Logging
import Synchronization

/// Why guests stopped, as libvirt's lifecycle events say it, for the sandboxes of those
/// guests: when a guest's agent session ends without an exit, its sandbox asks here
/// (`Sandbox.endReason`) instead of polling. Only domains a sandbox registered are kept,
/// so other guests on the host (another HULL_HOME's, anything else) leave nothing.
public final class GuestEndings: Sendable {
    public static let shared = GuestEndings()

    private struct Ending {
        var reason: String?
        let stopped = OneShotEvent()
    }

    private let endings = Mutex<[String: Ending]>([:])

    /// A sandbox of `domain` begins: its stop events count from now.
    func watch(_ domain: String) {
        endings.withLock { $0[domain] = Ending() }
    }

    func forget(_ domain: String) {
        endings.withLock { _ = $0.removeValue(forKey: domain) }
    }

    /// libvirt said `domain` stopped, and why.
    func stopped(_ domain: String, reason: String) {
        let event = endings.withLock { e -> OneShotEvent? in
            guard e[domain] != nil else { return nil }
            if e[domain]?.reason == nil { e[domain]?.reason = reason }
            return e[domain]?.stopped
        }
        event?.fire()
    }

    /// Why `domain` stopped, waiting at most `duration` for libvirt to say it (it does
    /// once it reaped QEMU: a second or more under TCG); nil when it did not.
    func reason(of domain: String, within duration: Duration) async -> String? {
        guard let event = endings.withLock({ $0[domain]?.stopped }) else { return nil }
        _ = await event.wait(for: duration)
        return endings.withLock { $0[domain]?.reason }
    }
}

/// What the drivers need running beside them in a long-lived host process (hulld): libvirt's
/// lifecycle events for guests, when libvirtd is reachable. It also says which modes
/// cannot run on this host now, and why.
public final class DriverMonitor: Sendable {
    /// Modes refused on this host, with the reason (vm without libvirtd).
    public let unavailable: [IsolationMode: String]
    private let watcher: DomainEventWatcher?

    public init(logger: Logger) {
        LibvirtEventLoop.started
        var unavailable: [IsolationMode: String] = [:]
        var watcher: DomainEventWatcher?
        do {
            watcher = try DomainEventWatcher(connection: try LibvirtConnection()) { domain, event in
                logger.debug("libvirt event", metadata: ["domain": "\(domain)", "event": "\(event)"])
                if case .stopped(let reason) = event { GuestEndings.shared.stopped(domain, reason: reason) }
            }
        } catch {
            logger.warning("libvirt is not reachable: --isolation vm is unavailable until hulld restarts with libvirtd running (scripts/setup.sh starts it); gvisor and process work",
                           metadata: ["error": "\(error)"])
            unavailable[.vm] = "hulld could not reach libvirtd when it started (start libvirtd — scripts/setup.sh does — then restart hulld)"
        }
        self.unavailable = unavailable
        self.watcher = watcher
    }

    /// No monitoring, every mode allowed (unit tests with a fake driver).
    public init(unavailable: [IsolationMode: String] = [:]) {
        self.unavailable = unavailable
        watcher = nil
    }
}
