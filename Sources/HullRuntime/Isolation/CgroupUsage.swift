import HullProtocol

/// A container's resource use as its own cgroup counts it (`Sandbox.cgroupUsage`): the
/// container's cgroup in its guest, its host cgroup under runc, the host cgroup of its
/// whole sandbox under runsc (docs/limits.md, "Usage").
public struct CgroupUsage: Sendable, Equatable {
    /// Memory charged to the cgroup, page cache included: `memory.current` (v2),
    /// `memory.usage_in_bytes` (v1).
    public var memoryCurrentBytes: UInt64
    /// Its limit: `memory.max` (v2), `memory.limit_in_bytes` (v1); nil for no limit ("max").
    public var memoryMaxBytes: UInt64?
    /// Tasks (processes and threads) in the cgroup: `pids.current`.
    public var pidsCurrent: UInt64
    /// Its limit: `pids.max`; nil for no limit ("max").
    public var pidsMax: UInt64?
    /// CPU time of all its tasks: `usage_usec` of `cpu.stat` (v2), `cpuacct.usage` ÷ 1000 (v1).
    public var cpuUsageMicroseconds: UInt64

    public init(memoryCurrentBytes: UInt64, memoryMaxBytes: UInt64?, pidsCurrent: UInt64, pidsMax: UInt64?,
                cpuUsageMicroseconds: UInt64) {
        self.memoryCurrentBytes = memoryCurrentBytes
        self.memoryMaxBytes = memoryMaxBytes
        self.pidsCurrent = pidsCurrent
        self.pidsMax = pidsMax
        self.cpuUsageMicroseconds = cpuUsageMicroseconds
    }
}

/// A cgroup file that could not give a reading.
public enum CgroupUsageError: Error, CustomStringConvertible, Equatable {
    /// The file (its path) could not be read.
    case unreadable(file: String)
    /// The file's text is not what the kernel writes there.
    case malformed(file: String, why: String)

    public var description: String {
        switch self {
        case .unreadable(let file): "cannot read the cgroup file \(file)"
        case .malformed(let file, let why): "the cgroup file \(file) holds no usable reading: \(why)"
        }
    }
}

/// The parser. The texts may come from an untrusted guest: each is refused past
/// `maxFileBytes`, at most `HostCgroup.maxLines` lines of a keyed file are looked at,
/// numbers are 1 to 20 decimal digits that fit a UInt64, and nothing else is accepted (no
/// sign, no spaces inside, no "max" where a count belongs). Nothing here traps.
extension CgroupUsage {
    /// The longest text of one file accepted (a guest sends at most this much).
    public static let maxFileBytes = CgroupFiles.maxFileBytes

    /// A reading from the texts of cgroup v2 files: a guest's answer, or a host's
    /// unified hierarchy.
    public static func parse(_ files: CgroupFiles) throws(CgroupUsageError) -> CgroupUsage {
        CgroupUsage(memoryCurrentBytes: try number(files.memoryCurrent, file: "memory.current"),
                    memoryMaxBytes: try limit(files.memoryMax, file: "memory.max"),
                    pidsCurrent: try number(files.pidsCurrent, file: "pids.current"),
                    pidsMax: try limit(files.pidsMax, file: "pids.max"),
                    cpuUsageMicroseconds: try keyed("usage_usec", in: files.cpuStat, file: "cpu.stat"))
    }

    /// A reading from cgroup v1 files (one hierarchy per controller): `cpuacctUsage` is in
    /// nanoseconds, and v1's "no memory limit" is a number near 2^63.
    public static func parseV1(memoryUsage: String, memoryLimit: String, pidsCurrent: String, pidsMax: String,
                               cpuacctUsage: String) throws(CgroupUsageError) -> CgroupUsage {
        let memoryMax = try number(memoryLimit, file: "memory.limit_in_bytes")
        return CgroupUsage(memoryCurrentBytes: try number(memoryUsage, file: "memory.usage_in_bytes"),
                           memoryMaxBytes: memoryMax >= v1Unlimited ? nil : memoryMax,
                           pidsCurrent: try number(pidsCurrent, file: "pids.current"),
                           pidsMax: try limit(pidsMax, file: "pids.max"),
                           cpuUsageMicroseconds: try number(cpuacctUsage, file: "cpuacct.usage") / 1000)
    }

    /// v1 writes PAGE_COUNTER_MAX pages for "no limit": 0x7FFFFFFFFFFFF000 with 4 KiB pages,
    /// a little less with larger pages. Anything in the last MiB below 2^63 (or above) means
    /// no limit; no host has that much memory to limit.
    static let v1Unlimited: UInt64 = (1 << 63) - (1 << 20)

    /// A one-number file ("123\n").
    static func number(_ text: String, file: String) throws(CgroupUsageError) -> UInt64 {
        guard let value = decimal(try bounded(text, file: file).trimmingWhitespace) else {
            throw .malformed(file: file, why: "not a decimal number of at most 20 digits that fits 64 bits")
        }
        return value
    }

    /// A limit file: a number, or "max" for none.
    static func limit(_ text: String, file: String) throws(CgroupUsageError) -> UInt64? {
        if try bounded(text, file: file).trimmingWhitespace == "max" { return nil }
        return try number(text, file: file)
    }

    /// `key`'s number in a flat-keyed file ("key value" lines).
    static func keyed(_ key: String, in text: String, file: String) throws(CgroupUsageError) -> UInt64 {
        guard let value = HostCgroup.counter(key, in: try bounded(text, file: file)) else {
            throw .malformed(file: file, why: "no line \"\(key) N\" with a decimal number in its first \(HostCgroup.maxLines) lines")
        }
        return value
    }

    static func bounded(_ text: String, file: String) throws(CgroupUsageError) -> String {
        guard text.utf8.count <= maxFileBytes else {
            throw .malformed(file: file, why: "longer than \(maxFileBytes) bytes")
        }
        return text
    }

    /// 1 to 20 ASCII digits whose value fits a UInt64; nil for anything else.
    static func decimal<S: StringProtocol>(_ text: S) -> UInt64? {
        let digits = text.utf8
        guard (1...20).contains(digits.count) else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, carried) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if overflowed || carried { return nil }
            value = sum
        }
        return value
    }
}
