/// The documented limits of every number a client or a flag hands Hull (docs/openapi.yaml
/// states the same ones). Values are checked where they enter — hulld's API and the CLI's
/// flags, through the same functions — so that nothing past that point can trap on a
/// conversion or an overflow (`Int(1e16 * 1000)`, `Int.max + 64`).
public enum InputLimits {
    /// `cpus` / `--cpus`: more than 0, at most this (a guest's vCPUs are it rounded up).
    public static let maxCPUs: Double = 64
    /// `memoryMiB` / `--memory`: 16 MiB to 1 TiB.
    public static let memoryMiB: ClosedRange<Int> = 16...1_048_576
    /// `stopTimeout` / `--stop-timeout`, the `timeout` of stop and restart: up to a day.
    public static let maxStopSeconds: Double = 86_400
    /// `bootTimeout` / `--boot-timeout`: more than 0, up to an hour.
    public static let maxBootSeconds: Double = 3_600
    /// Container names: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, at most this long.
    public static let maxNameLength = 64

    /// A validated number of seconds as a Duration. Never traps: NaN counts as 0, and the
    /// value is clamped to 0...limit (callers have checked it already; this is the floor
    /// under that check, not a second rule).
    public static func duration(seconds: Double, limit: Double) -> Duration {
        let bounded = seconds.isNaN ? 0 : min(max(seconds, 0), limit)
        return .milliseconds(Int64((bounded * 1000).rounded()))
    }

    /// A guest's vCPUs for `cpus` (rounded up), within 1...maxCPUs whatever it is given.
    public static func vcpus(for cpus: Double) -> Int {
        guard cpus.isFinite else { return 1 }
        return Int(min(max(cpus.rounded(.up), 1), maxCPUs))
    }
}

/// A value outside its documented range: which field, and what it must be. hulld answers
/// 400 with the description; the CLI exits 64 with the flag's name in place of the field.
public struct InputError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The API field or query parameter (`memoryMiB`, `timeout`).
    public var field: String
    /// What the field must be, and what was given: "must be at least 16 and at most 1048576, not 8".
    public var rule: String

    public init(field: String, rule: String) {
        self.field = field
        self.rule = rule
    }

    public var description: String { "\(field) \(rule)" }

    /// The same error named as the user typed it (`--memory` for `memoryMiB`).
    public func named(_ name: String) -> InputError { InputError(field: name, rule: rule) }
}

/// The checks behind InputLimits, one per kind of value.
public enum InputCheck {
    public static func cpus(_ value: Double, field: String = "cpus") throws(InputError) {
        guard value > 0, value <= InputLimits.maxCPUs else {
            throw InputError(field: field, rule: "must be more than 0 and at most \(Int(InputLimits.maxCPUs)), not \(value)")
        }
    }

    public static func memoryMiB(_ value: Int, field: String = "memoryMiB") throws(InputError) {
        guard InputLimits.memoryMiB.contains(value) else {
            throw InputError(field: field, rule: "must be at least \(InputLimits.memoryMiB.lowerBound) and at most \(InputLimits.memoryMiB.upperBound) (MiB), not \(value)")
        }
    }

    /// Seconds in 0...limit; with `positive`, 0 is refused too.
    public static func seconds(_ value: Double, field: String, limit: Double, positive: Bool = false) throws(InputError) {
        let low = positive ? value > 0 : value >= 0
        guard low, value <= limit else {
            let bound = positive ? "more than 0" : "at least 0"
            throw InputError(field: field, rule: "must be \(bound) and at most \(Int(limit)) seconds, not \(value)")
        }
    }

    public static func containerName(_ name: String, field: String = "name") throws(InputError) {
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
        guard allowed, let first = name.first, first.isLetter || first.isNumber,
              name.utf8.count <= InputLimits.maxNameLength else {
            throw InputError(field: field, rule: "must match [a-zA-Z0-9][a-zA-Z0-9_.-]* and be at most \(InputLimits.maxNameLength) characters, not \"\(name)\"")
        }
    }

    public static func oneOf(_ value: String, _ allowed: [String], field: String) throws(InputError) {
        guard allowed.contains(value) else {
            throw InputError(field: field, rule: "must be \(allowed.joined(separator: ", ")), not \"\(value)\"")
        }
    }

    public static func nonEmpty(_ value: String, field: String) throws(InputError) {
        guard !value.isEmpty else { throw InputError(field: field, rule: "must not be empty") }
    }
}

extension CreateContainerRequest {
    /// Every documented limit of a create request (docs/openapi.yaml), checked in one place
    /// for hulld and the CLI. Mode-specific refusals (accel under gvisor, …) come later,
    /// once the mode is known.
    public func validate() throws(InputError) {
        try InputCheck.nonEmpty(image, field: "image")
        if let name { try InputCheck.containerName(name) }
        if let accel { try InputCheck.oneOf(accel, ["kvm", "tcg"], field: "accel") }
        if let isolation { try InputCheck.oneOf(isolation, ["vm", "gvisor", "process"], field: "isolation") }
        if let cpus { try InputCheck.cpus(cpus) }
        if let memoryMiB { try InputCheck.memoryMiB(memoryMiB) }
        if let stopTimeout { try InputCheck.seconds(stopTimeout, field: "stopTimeout", limit: InputLimits.maxStopSeconds) }
        if let bootTimeout {
            try InputCheck.seconds(bootTimeout, field: "bootTimeout", limit: InputLimits.maxBootSeconds, positive: true)
        }
    }
}
