import Foundation

/// Which accelerator a guest gets, and why, in words a user can act on.
public struct AccelerationChoice: Sendable, Equatable {
    public enum Origin: Sendable, Equatable {
        /// Decided from the host (`KVMProbe`).
        case probe
        /// Forced by the user; `source` is e.g. "HULL_ACCEL=tcg" or "--accel kvm".
        case override(source: String)
    }

    public var domainType: DomainType
    public var reason: String
    public var origin: Origin
    /// /dev/vhost-vsock exists, so a vsock control channel is possible.
    public var vhostVsockAvailable: Bool

    public static let environmentVariable = "HULL_ACCEL"

    public init(domainType: DomainType, reason: String, origin: Origin, vhostVsockAvailable: Bool) {
        self.domainType = domainType
        self.reason = reason
        self.origin = origin
        self.vhostVsockAvailable = vhostVsockAvailable
    }

    /// Decides the accelerator. Precedence: `override` (a CLI flag), then `HULL_ACCEL`,
    /// then the host probe. Overrides accept `kvm` or `tcg` (`qemu` is taken as `tcg`;
    /// empty or `auto` means "decide from the host").
    ///
    /// Forcing KVM is allowed where the probe says TCG — the probe may be wrong — but not
    /// without /dev/kvm, where it can only fail later and less clearly.
    public static func decide(override: String?, overrideSource: String = "--accel",
                              environment: [String: String] = ProcessInfo.processInfo.environment,
                              probe: KVMProbe = .current()) throws -> AccelerationChoice {
        let verdict = probe.verdict
        let forced: (DomainType, String)?
        if let value = override, let type = try parse(value, source: "\(overrideSource) \(value)") {
            forced = (type, "\(overrideSource) \(value)")
        } else if let value = environment[environmentVariable],
                  let type = try parse(value, source: "\(environmentVariable)=\(value)") {
            forced = (type, "\(environmentVariable)=\(value)")
        } else {
            forced = nil
        }

        guard let (type, source) = forced else {
            return AccelerationChoice(domainType: verdict.domainType, reason: verdict.reason, origin: .probe,
                                      vhostVsockAvailable: probe.vhostVsockAvailable)
        }
        if type == .kvm, probe.kvmDevice == .missing {
            throw AccelerationError.kvmUnavailable(source: source)
        }
        let label = type == .kvm ? "KVM" : "TCG"
        let reason = type == verdict.domainType
            ? "\(label): forced by \(source)"
            : "\(label): forced by \(source) (the host probe says \(verdict.reason))"
        return AccelerationChoice(domainType: type, reason: reason, origin: .override(source: source),
                                  vhostVsockAvailable: probe.vhostVsockAvailable)
    }

    /// nil for "no preference".
    static func parse(_ value: String, source: String) throws -> DomainType? {
        switch value.trimmingCharacters(in: .whitespaces).lowercased() {
        case "", "auto": nil
        case "kvm": .kvm
        case "tcg", "qemu": .qemu
        default: throw AccelerationError.invalidOverride(source: source)
        }
    }
}

public enum AccelerationError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidOverride(source: String)
    case kvmUnavailable(source: String)

    public var description: String {
        switch self {
        case .invalidOverride(let source):
            "\(source) is not an accelerator: use kvm or tcg (or leave it unset to decide from the host)"
        case .kvmUnavailable(let source):
            "\(source) asks for KVM, but this host has no /dev/kvm: load kvm_intel or kvm_amd, or use tcg"
        }
    }
}
