import CLibvirt

/// A domain's run state, mirroring `virDomainState`.
public enum DomainState: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    case nostate, running, blocked, paused, shutdown, shutoff, crashed, pmsuspended

    /// States libvirt may add later read as `.nostate` rather than failing.
    init(libvirt state: Int32) {
        switch UInt32(bitPattern: state) {
        case VIR_DOMAIN_RUNNING.rawValue: self = .running
        case VIR_DOMAIN_BLOCKED.rawValue: self = .blocked
        case VIR_DOMAIN_PAUSED.rawValue: self = .paused
        case VIR_DOMAIN_SHUTDOWN.rawValue: self = .shutdown
        case VIR_DOMAIN_SHUTOFF.rawValue: self = .shutoff
        case VIR_DOMAIN_CRASHED.rawValue: self = .crashed
        case VIR_DOMAIN_PMSUSPENDED.rawValue: self = .pmsuspended
        default: self = .nostate
        }
    }

    public var description: String { rawValue }
}

/// One row of `LibvirtConnection.listDomains()`.
public struct DomainInfo: Sendable, Equatable {
    public var name: String
    public var uuid: String
    public var state: DomainState
    public var active: Bool

    public init(name: String, uuid: String, state: DomainState, active: Bool) {
        self.name = name
        self.uuid = uuid
        self.state = state
        self.active = active
    }
}
