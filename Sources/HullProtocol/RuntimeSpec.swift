#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The subset of the OCI runtime spec (config.json, runtime-spec v1.1) that Hull writes
/// and the guest agent executes. Field names are the spec's, so the JSON is a valid
/// config.json. What the agent honours and what it rejects is listed in
/// docs/runtime-spec.md; fields not modelled here are not sent.
public struct RuntimeSpec: Codable, Sendable, Equatable {
    public var ociVersion: String = "1.1.0"
    public var process: Process
    public var root: Root
    public var hostname: String?
    public var mounts: [Mount]
    public var annotations: [String: String]?
    public var linux: Linux?

    public init(process: Process, root: Root = Root(), hostname: String? = nil, mounts: [Mount] = [],
                annotations: [String: String]? = nil, linux: Linux? = Linux()) {
        self.process = process
        self.root = root
        self.hostname = hostname
        self.mounts = mounts
        self.annotations = annotations
        self.linux = linux
    }

    /// Hull's annotation asking the agent to resolve a user name (and group name) from the
    /// container's own /etc/passwd and /etc/group: "name", "name:group", "uid:group".
    /// `process.user` then holds what the host knew (numbers given on the command line).
    public static let userAnnotation = "org.hull.user"
    /// `org.hull.volume.N`: volume N's host path and mode ("/srv/data:ro"), for the driver.
    public static func volumeAnnotation(_ index: Int) -> String { "org.hull.volume.\(index)" }

    public struct Process: Codable, Sendable, Equatable {
        public var terminal: Bool?
        public var consoleSize: ConsoleSize?
        public var user: User
        public var args: [String]
        public var env: [String]?
        public var cwd: String
        public var capabilities: Capabilities?
        public var rlimits: [Rlimit]?
        public var noNewPrivileges: Bool?

        public init(terminal: Bool? = nil, consoleSize: ConsoleSize? = nil, user: User = User(), args: [String],
                    env: [String]? = nil, cwd: String = "/", capabilities: Capabilities? = nil,
                    rlimits: [Rlimit]? = nil, noNewPrivileges: Bool? = nil) {
            self.terminal = terminal
            self.consoleSize = consoleSize
            self.user = user
            self.args = args
            self.env = env
            self.cwd = cwd
            self.capabilities = capabilities
            self.rlimits = rlimits
            self.noNewPrivileges = noNewPrivileges
        }
    }

    public struct ConsoleSize: Codable, Sendable, Equatable {
        public var height: UInt16
        public var width: UInt16
        public init(height: UInt16, width: UInt16) {
            self.height = height
            self.width = width
        }
    }

    public struct User: Codable, Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var umask: UInt32?
        public var additionalGids: [UInt32]?
        public init(uid: UInt32 = 0, gid: UInt32 = 0, umask: UInt32? = nil, additionalGids: [UInt32]? = nil) {
            self.uid = uid
            self.gid = gid
            self.umask = umask
            self.additionalGids = additionalGids
        }
    }

    public struct Capabilities: Codable, Sendable, Equatable {
        public var bounding: [String]?
        public var effective: [String]?
        public var inheritable: [String]?
        public var permitted: [String]?
        public var ambient: [String]?
        public init(bounding: [String]? = nil, effective: [String]? = nil, inheritable: [String]? = nil,
                    permitted: [String]? = nil, ambient: [String]? = nil) {
            self.bounding = bounding
            self.effective = effective
            self.inheritable = inheritable
            self.permitted = permitted
            self.ambient = ambient
        }
    }

    public struct Rlimit: Codable, Sendable, Equatable {
        /// e.g. "RLIMIT_NOFILE"
        public var type: String
        public var hard: UInt64
        public var soft: UInt64
        public init(type: String, hard: UInt64, soft: UInt64) {
            self.type = type
            self.hard = hard
            self.soft = soft
        }
    }

    public struct Root: Codable, Sendable, Equatable {
        /// Inside the guest: where the container's root disk is mounted. The agent mounts
        /// `ProcessSpec.rootDevice` there.
        public var path: String
        public var readonly: Bool?
        public init(path: String = "rootfs", readonly: Bool? = nil) {
            self.path = path
            self.readonly = readonly
        }
    }

    public struct Mount: Codable, Sendable, Equatable {
        public var destination: String
        public var type: String?
        public var source: String?
        public var options: [String]?
        public init(destination: String, type: String? = nil, source: String? = nil, options: [String]? = nil) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
        }
    }

    public struct Linux: Codable, Sendable, Equatable {
        public var namespaces: [Namespace]?
        public var maskedPaths: [String]?
        public var readonlyPaths: [String]?
        public var sysctl: [String: String]?
        /// cgroup limits (`-m`, `--memory-swap`, `--cpus`, `--pids-limit`). runc and runsc
        /// apply them on the host; in a guest the agent gives the container a cgroup (v2)
        /// of its own with them (docs/limits.md).
        public var resources: Resources?
        /// The container's own cgroup under runc/runsc (`/hull/<run folder>`): without it
        /// runc names the cgroup after the container id, so two containers of the same
        /// name (two HULL_HOMEs, or `hull run --name x` beside hulld's x) would share one,
        /// and deleting either would kill both (measured). Ignored in a guest.
        public var cgroupsPath: String?
        public init(namespaces: [Namespace]? = nil, maskedPaths: [String]? = nil, readonlyPaths: [String]? = nil,
                    sysctl: [String: String]? = nil, resources: Resources? = nil, cgroupsPath: String? = nil) {
            self.namespaces = namespaces
            self.maskedPaths = maskedPaths
            self.readonlyPaths = readonlyPaths
            self.sysctl = sysctl
            self.resources = resources
            self.cgroupsPath = cgroupsPath
        }
    }

    public struct Resources: Codable, Sendable, Equatable {
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
        public init(memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil) {
            self.memory = memory
            self.cpu = cpu
            self.pids = pids
        }

        public struct Memory: Codable, Sendable, Equatable {
            /// Bytes.
            public var limit: Int64?
            /// Memory plus swap in bytes (cgroup v1's memsw, the spec's meaning); -1 is
            /// unlimited swap. In cgroup v2 terms swap.max = swap - limit.
            public var swap: Int64?
            public init(limit: Int64? = nil, swap: Int64? = nil) {
                self.limit = limit
                self.swap = swap
            }
        }

        public struct Pids: Codable, Sendable, Equatable {
            /// Most tasks (processes and threads) at once; 0 or less is unlimited.
            public var limit: Int64
            public init(limit: Int64) { self.limit = limit }
        }

        public struct CPU: Codable, Sendable, Equatable {
            /// Microseconds of CPU time per `period`: `--cpus 1.5` is 150000 per 100000.
            public var quota: Int64?
            public var period: UInt64?
            public init(quota: Int64? = nil, period: UInt64? = nil) {
                self.quota = quota
                self.period = period
            }
        }
    }

    public struct Namespace: Codable, Sendable, Equatable {
        /// "pid", "mount", "uts", "ipc", "network", "user", "cgroup"
        public var type: String
        public var path: String?
        public init(type: String, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }
}
