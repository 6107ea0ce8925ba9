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
    /// Host paths (`rootfs`): absolute, at most this many characters (Linux's PATH_MAX;
    /// a longer one in bytes is simply not found).
    public static let maxPathLength = 4096
    /// `kernelArgs`: at most this many, each 1–256 printable ASCII characters, no spaces.
    public static let maxKernelArgs = 16
    public static let maxKernelArgBytes = 256
    /// `mounts`: at most this many per container.
    public static let maxMounts = 64
    /// `-p` entries (and EXPOSEd ports published by `-P`) per container.
    public static let maxPublishedPorts = 128
    /// `--add-host` entries per container.
    public static let maxExtraHosts = 64
    /// `pidsLimit` / `--pids-limit`: -1 or 0 (unlimited) up to Linux's PID_MAX_LIMIT.
    public static let pidsLimit: ClosedRange<Int> = -1...4_194_304
    /// `storageSizeMiB` / `--storage-opt size=`: 16 MiB (room for ext4's own metadata) to 1 TiB.
    public static let storageSizeMiB: ClosedRange<Int> = 16...1_048_576
    /// `logMaxSize` / `--log-opt max-size`: 64 KiB to 1 TiB per log file.
    public static let logMaxSize: ClosedRange<Int> = 65_536...(1 << 40)
    /// `logMaxFiles` / `--log-opt max-file`.
    public static let logMaxFiles: ClosedRange<Int> = 1...100

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

    /// An absolute host path other than `/` itself, without NUL, within PATH_MAX.
    public static func hostPath(_ path: String, field: String) throws(InputError) {
        guard path.hasPrefix("/"), path != "/", !path.utf8.contains(0), path.unicodeScalars.count <= InputLimits.maxPathLength else {
            throw InputError(field: field, rule: "must be an absolute path other than / (at most \(InputLimits.maxPathLength) characters), not \"\(path)\"")
        }
    }

    public static func kernelArgs(_ args: [String], field: String = "kernelArgs") throws(InputError) {
        guard args.count <= InputLimits.maxKernelArgs else {
            throw InputError(field: field, rule: "may hold at most \(InputLimits.maxKernelArgs) arguments, not \(args.count)")
        }
        for arg in args {
            let printable = arg.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f }
            guard printable, !arg.isEmpty, arg.utf8.count <= InputLimits.maxKernelArgBytes else {
                throw InputError(field: field, rule: "must be printable ASCII words without spaces, 1-\(InputLimits.maxKernelArgBytes) characters each, not \"\(arg)\"")
            }
        }
    }

    /// Volume names follow container names' rule.
    public static func volumeName(_ name: String, field: String = "name") throws(InputError) {
        try containerName(name, field: field)
    }

    public static func mounts(_ mounts: [MountSpec], field: String = "mounts") throws(InputError) {
        guard mounts.count <= InputLimits.maxMounts else {
            throw InputError(field: field, rule: "may hold at most \(InputLimits.maxMounts) mounts, not \(mounts.count)")
        }
        for mount in mounts {
            try hostPath(mount.target, field: "\(field).target")
            switch mount.type {
            case .bind:
                guard let source = mount.source else { throw InputError(field: "\(field).source", rule: "is required for a bind mount") }
                try hostPath(source, field: "\(field).source")
            case .volume:
                guard let source = mount.source else { throw InputError(field: "\(field).source", rule: "is required for a volume mount (the volume's name)") }
                try volumeName(source, field: "\(field).source")
            case .tmpfs:
                if mount.source != nil { throw InputError(field: "\(field).source", rule: "must be absent for a tmpfs mount") }
            }
            if let size = mount.tmpfsSize {
                guard mount.type == .tmpfs else { throw InputError(field: "\(field).tmpfsSize", rule: "applies to tmpfs mounts only") }
                guard size > 0, size <= 1 << 40 else {
                    throw InputError(field: "\(field).tmpfsSize", rule: "must be more than 0 and at most 1 TiB (in bytes), not \(size)")
                }
            }
        }
    }

    /// Mount targets that collide once normalised (`/data` and `/data/`), or that name the
    /// container's root (`//`): a conflict between parts of a request the schema cannot
    /// express, so hulld answers 409 rather than 400.
    public static func distinctTargets(_ mounts: [MountSpec], tmpfs: [String] = [], field: String = "mounts") throws(InputError) {
        var seen = Set<String>()
        let targets = mounts.map(\.target) + tmpfs.map { String($0.split(separator: ":", maxSplits: 1).first ?? "") }
        for target in targets {
            let normal = normalised(target)
            guard normal != "/" else {
                throw InputError(field: "\(field).target", rule: "cannot be the container's root (\(target))")
            }
            guard seen.insert(normal).inserted else {
                throw InputError(field: "\(field).target", rule: "must differ between mounts: \(normal) is given twice")
            }
        }
    }

    /// `path` without empty or `.` components (no file system access; `..` is kept).
    static func normalised(_ path: String) -> String {
        "/" + path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    /// Known names, -1 (unlimited) or 0 and up, at most 16 (one per name).
    public static func ulimits(_ limits: [UlimitSpec], field: String = "ulimits") throws(InputError) {
        guard limits.count <= UlimitSpec.names.count else {
            throw InputError(field: field, rule: "may hold at most \(UlimitSpec.names.count) limits, not \(limits.count)")
        }
        for limit in limits {
            guard UlimitSpec.names.contains(limit.name) else {
                throw InputError(field: field, rule: "names one of \(UlimitSpec.names.joined(separator: ", ")), not \"\(limit.name)\"")
            }
            guard limit.soft >= -1, limit.hard >= -1 else {
                throw InputError(field: field, rule: "must be -1 (unlimited) or at least 0, not \(limit.name)=\(limit.soft):\(limit.hard)")
            }
        }
    }

    /// Each name once, soft ≤ hard: rules between values the schema cannot state, so hulld
    /// answers 409 (as for colliding mount targets).
    public static func consistentUlimits(_ limits: [UlimitSpec], field: String = "ulimits") throws(InputError) {
        var seen = Set<String>()
        for limit in limits {
            guard seen.insert(limit.name).inserted else {
                throw InputError(field: field, rule: "must name \(limit.name) once")
            }
            let unlimited = { (v: Int64) in v == -1 ? Int64.max : v }
            guard unlimited(limit.soft) <= unlimited(limit.hard) else {
                throw InputError(field: field, rule: "needs soft ≤ hard, not \(limit.name)=\(limit.soft):\(limit.hard)")
            }
        }
    }

    /// `memorySwapMiB`: -1 (unlimited swap) or a size in memoryMiB's range.
    public static func memorySwapMiB(_ value: Int, field: String = "memorySwapMiB") throws(InputError) {
        guard value == -1 || InputLimits.memoryMiB.contains(value) else {
            throw InputError(field: field, rule: "must be -1 (unlimited swap) or at least \(InputLimits.memoryMiB.lowerBound) and at most \(InputLimits.memoryMiB.upperBound) (MiB), not \(value)")
        }
    }

    public static func pidsLimit(_ value: Int, field: String = "pidsLimit") throws(InputError) {
        guard InputLimits.pidsLimit.contains(value) else {
            throw InputError(field: field, rule: "must be -1 or 0 (unlimited) or at most \(InputLimits.pidsLimit.upperBound), not \(value)")
        }
    }

    public static func storageSizeMiB(_ value: Int, field: String = "storageSizeMiB") throws(InputError) {
        try within(InputLimits.storageSizeMiB, value, field: field, unit: " (MiB)")
    }

    /// `value` in `range`, or an error saying the range (in `unit`).
    static func within(_ range: ClosedRange<Int>, _ value: Int, field: String, unit: String = "") throws(InputError) {
        guard range.contains(value) else {
            throw InputError(field: field, rule: "must be at least \(range.lowerBound) and at most \(range.upperBound)\(unit), not \(value)")
        }
    }

    /// Docker's rules between `memoryMiB` and `memorySwapMiB`: the swap figure counts
    /// memory plus swap, so it needs the memory limit and cannot be below it. Rules
    /// between values the schema cannot state: hulld answers 409.
    public static func consistentMemory(memoryMiB: Int?, memorySwapMiB: Int?) throws(InputError) {
        guard let swap = memorySwapMiB else { return }
        guard let memory = memoryMiB else {
            throw InputError(field: "memorySwapMiB", rule: "needs a memory limit (memoryMiB, --memory): it counts memory plus swap")
        }
        guard swap == -1 || swap >= memory else {
            throw InputError(field: "memorySwapMiB", rule: "must be -1 or at least the memory limit (\(memory) MiB), as it counts memory plus swap, not \(swap)")
        }
    }

    /// `--log-opt max-size`: one log file's size in bytes, 64 KiB to 1 TiB.
    public static func logMaxSize(_ value: Int, field: String = "logMaxSize") throws(InputError) {
        try within(InputLimits.logMaxSize, value, field: field, unit: " (bytes)")
    }

    /// `--log-opt max-file`: how many log files are kept, 1 to 100.
    public static func logMaxFiles(_ value: Int, field: String = "logMaxFiles") throws(InputError) {
        try within(InputLimits.logMaxFiles, value, field: field)
    }

    public static func nonEmpty(_ value: String, field: String) throws(InputError) {
        guard !value.isEmpty else { throw InputError(field: field, rule: "must not be empty") }
    }
}
