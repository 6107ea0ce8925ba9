import Foundation
import HullModel

/// The resource limits a container asks for (`-m`, `--memory-swap`, `--cpus`,
/// `--pids-limit`, `--storage-opt size=`: the engine's LimitSpec), and which of them a mode
/// can enforce on this host. A limit that would only be recorded is refused before
/// anything starts (docs/limits.md).
public typealias ResourceLimits = LimitSpec

extension LimitSpec {
    /// A pids limit that limits something (Docker: 0 and -1 are unlimited).
    public var effectivePidsLimit: Int? { pidsLimit.flatMap { $0 > 0 ? $0 : nil } }

    /// The first limit `mode` cannot enforce on a host like `host`, as an error.
    public func check(for mode: IsolationMode, host: HostResources) throws(IsolationError) {
        if effectivePidsLimit != nil, mode == .gvisor {
            // Measured (runsc 20221219, ptrace): runsc puts the whole sandbox — the Sentry
            // and its ptrace stubs — in the host pids cgroup; 300 processes inside under a
            // limit of 2000 crashed the sandbox ("error initializing first thread"), a limit
            // of 50 kept it from booting. It counts the Sentry's threads, not the container's.
            throw .limitUnsupported("--pids-limit", mode: mode,
                                    why: "runsc applies it to the sandbox's own host threads, not to the container's processes: a fork inside is not refused, the whole sandbox dies instead")
        }
        if memorySwapMiB != nil, mode != .vm, host.swapActive, !host.swapAccounting {
            throw .limitUnsupported("--memory-swap", mode: mode,
                                    why: "this host has swap but its kernel does not account it per cgroup (no memory.memsw / memory.swap.max): swap use could not be limited")
        }
        if storageSizeMiB != nil, mode != .vm, let missing = host.missingForStorage {
            throw .limitUnsupported("--storage-opt size", mode: mode, why: missing)
        }
    }
}

/// What this host offers for limits, read from /proc and /sys (each file bounded).
public struct HostResources: Sendable, Equatable {
    /// Some swap device or file is on (/proc/swaps lists one).
    public var swapActive: Bool
    /// The kernel limits swap per cgroup (v1 memsw files, or cgroup v2).
    public var swapAccounting: Bool
    /// Why a size-capped writable layer cannot be made here (loop devices, mkfs.ext4,
    /// overlayfs), nil when it can.
    public var missingForStorage: String?

    public init(swapActive: Bool, swapAccounting: Bool, missingForStorage: String?) {
        self.swapActive = swapActive
        self.swapAccounting = swapAccounting
        self.missingForStorage = missingForStorage
    }

    /// A host that lacks nothing: what a mode can enforce at all.
    public static let capable = HostResources(swapActive: false, swapAccounting: true, missingForStorage: nil)

    public static func current() -> HostResources {
        let swaps = HostFile.read("/proc/swaps") ?? ""
        let active = swaps.split(separator: "\n").count > 1
        let manager = FileManager.default
        let accounting = manager.fileExists(atPath: "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
            || manager.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        var missing: String?
        if !manager.fileExists(atPath: "/dev/loop-control") {
            missing = "this host has no loop devices (/dev/loop-control): the writable layer is a size-capped ext4 file mounted through one"
        } else if !(HostFile.read("/proc/filesystems") ?? "").contains("overlay") {
            missing = "this host's kernel has no overlayfs (modprobe overlay)"
        }
        return HostResources(swapActive: active, swapAccounting: accounting, missingForStorage: missing)
    }
}

/// Small files of /proc and /sys, read whole up to a bound.
enum HostFile {
    static func read(_ path: String, limit: Int = 64 << 10) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: limit) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
