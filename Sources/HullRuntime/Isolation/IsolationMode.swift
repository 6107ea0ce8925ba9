import Foundation

/// How a container is isolated from the host. The same bundle, flags and stdio behaviour
/// in every mode; only the boundary differs.
public enum IsolationMode: String, CaseIterable, Sendable, Codable {
    /// Its own kernel in a QEMU guest (libvirt + the Hull agent).
    case vm
    /// gVisor's user-space kernel (`runsc`).
    case gvisor
    /// Namespaces and cgroups on the host kernel (`runc`).
    case process

    public static let environmentVariable = "HULL_ISOLATION"
    public static let defaultMode = IsolationMode.vm

    /// The mode a run uses: the flag, else `HULL_ISOLATION`, else vm.
    public static func resolve(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(IsolationError) -> IsolationMode {
        if let flag { return try parse(flag, source: "--isolation") }
        if let value = environment[environmentVariable], !value.isEmpty {
            return try parse(value, source: environmentVariable)
        }
        return defaultMode
    }

    public static func parse(_ text: String, source: String) throws(IsolationError) -> IsolationMode {
        guard let mode = IsolationMode(rawValue: text.lowercased()) else {
            throw .unknownMode(text, source: source)
        }
        return mode
    }

    /// Whether the container has a kernel of its own (a guest's, gVisor's Sentry) rather
    /// than the host's.
    public var hasOwnKernel: Bool { self != .process }

    /// What does the isolating, in words for tables and errors.
    public var runtimeName: String {
        switch self {
        case .vm: "QEMU guest via libvirt"
        case .gvisor: "runsc"
        case .process: "runc"
        }
    }
}

/// `hull run` flags that only make sense for some modes.
public enum ModeSpecificFlag: String, Sendable, CaseIterable {
    case accel = "--accel"
    case bootTimeout = "--boot-timeout"
    case kernelArg = "--kernel-arg"

    /// The modes that honour the flag. Resource limits (`-m`, `--cpus`, `--pids-limit`, …)
    /// are checked per mode and host by `ResourceLimits.check`.
    public var modes: Set<IsolationMode> {
        switch self {
        case .accel, .bootTimeout, .kernelArg: [.vm]
        }
    }

    /// The first flag among `given` that `mode` cannot honour, as an error; checked before
    /// anything starts.
    public static func check(_ given: Set<ModeSpecificFlag>, for mode: IsolationMode) throws(IsolationError) {
        for flag in ModeSpecificFlag.allCases where given.contains(flag) && !flag.modes.contains(mode) {
            throw .flagUnsupported(flag.rawValue, mode: mode,
                                   honouredBy: flag.modes.map(\.rawValue).sorted())
        }
    }
}

public enum IsolationError: Error, CustomStringConvertible, Equatable {
    case unknownMode(String, source: String)
    case flagUnsupported(String, mode: IsolationMode, honouredBy: [String])
    case limitUnsupported(String, mode: IsolationMode, why: String)
    case runtimeMissing(String, package: String)
    case userLookup(String)

    public var description: String {
        switch self {
        case .unknownMode(let m, let source):
            "\(source) \(m): unknown isolation mode (use vm, gvisor or process)"
        case .flagUnsupported(let flag, let mode, let modes):
            "\(flag) cannot be honoured with --isolation \(mode.rawValue) (it applies to --isolation \(modes.joined(separator: ", ")) only)"
        case .limitUnsupported(let flag, let mode, let why):
            "\(flag) cannot be enforced with --isolation \(mode.rawValue): \(why)"
        case .runtimeMissing(let tool, let package):
            "\(tool) not found: install the Debian package \(package) (scripts/setup.sh does)"
        case .userLookup(let message): message
        }
    }
}
