import Foundation
import Glibc
import HullProtocol

/// What the host kernel lets hull's own process do with resource limits.
enum HostLimits {
    /// CAP_SYS_RESOURCE (bit 24) in hull's effective set, per /proc/self/status.
    static func canRaiseLimits(status: String? = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) -> Bool {
        guard let status, let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16) else {
            return false
        }
        return mask & (1 << 24) != 0
    }

    /// Hull's hard RLIMIT_NOFILE: the ceiling without CAP_SYS_RESOURCE.
    static var hardLimit: [String: UInt64] {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return [:] }
        return ["RLIMIT_NOFILE": UInt64(limit.rlim_max)]
    }

    static func clamp(_ limits: [RuntimeSpec.Rlimit], ceiling: [String: UInt64]) -> [RuntimeSpec.Rlimit] {
        limits.map { limit in
            guard let max = ceiling[limit.type] else { return limit }
            return RuntimeSpec.Rlimit(type: limit.type, hard: min(limit.hard, max), soft: min(limit.soft, max))
        }
    }
}
