#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Host → guest requests. Encoded as `{"method": "...", "params": {...}}` in the payload
/// of a `.request` frame; the reply is a `.response` frame on the same stream id.
public enum Request: Sendable, Equatable {
    /// First request on every channel; the agent answers with `HelloReply`.
    case hello(Hello)
    /// Start a process; its stdio then flows on this request's stream id.
    case start(ProcessSpec)
    /// Deliver a signal to the process started on `stream`.
    case signal(SignalRequest)
    /// Change the terminal size of the process started on `stream`.
    case resize(ResizeRequest)
    /// Sync filesystems and power the guest off.
    case shutdown
    /// After a resume: the host logged the process's output up to these byte offsets;
    /// the agent sends what came after again, then new output.
    case replay(ReplayRequest)
    /// The texts of the cgroup files of the container started on `stream`; the answer is
    /// `CgroupFiles`. Added after version 2 without a bump: an agent that predates it
    /// answers "unknown method cgroupUsage" and its session goes on.
    case cgroupUsage(CgroupUsageRequest)

    public var method: String {
        switch self {
        case .hello: "hello"
        case .start: "start"
        case .signal: "signal"
        case .resize: "resize"
        case .shutdown: "shutdown"
        case .replay: "replay"
        case .cgroupUsage: "cgroupUsage"
        }
    }
}

public struct Hello: Codable, Sendable, Equatable {
    public var version: UInt32
    public var peer: String
    /// A host taking over a guest whose previous host went away (hulld restarted): the
    /// agent starts a new epoch and lists its processes in the reply.
    public var resume: Bool?
    public init(version: UInt32 = ProtocolLimits.version, peer: String, resume: Bool? = nil) {
        self.version = version
        self.peer = peer
        self.resume = resume
    }
}

/// A process the agent knows, in a resume reply: running (`exit` nil), or exited and
/// reported while no host may have read it.
public struct ProcessState: Codable, Sendable, Equatable {
    public var stream: UInt32
    public var exit: ExitStatus?
    public init(stream: UInt32, exit: ExitStatus?) {
        self.stream = stream
        self.exit = exit
    }
}

public struct HelloReply: Codable, Sendable, Equatable {
    public var version: UInt32
    public var agent: String
    public var kernel: String
    /// Set in answer to a resume: the new epoch and the agent's processes.
    public var epoch: UInt8?
    public var processes: [ProcessState]?
    public init(version: UInt32 = ProtocolLimits.version, agent: String, kernel: String,
                epoch: UInt8? = nil, processes: [ProcessState]? = nil) {
        self.version = version
        self.agent = agent
        self.kernel = kernel
        self.epoch = epoch
        self.processes = processes
    }
}

/// What the agent needs to start one process.
public struct ProcessSpec: Codable, Sendable, Equatable {
    public var argv: [String]
    public var env: [String]
    public var cwd: String
    /// Block device holding the container's root filesystem (ext4); nil runs in the
    /// agent's own root (used by diagnostics only).
    public var rootDevice: String?
    /// Keep stdin open: the host sends `.stdin` frames and finally one with `.endOfStream`.
    /// When false the process's stdin is /dev/null.
    public var stdin: Bool
    /// Allocate a pseudo-terminal; stdout then carries the merged terminal output.
    public var terminal: Bool
    public var windowSize: WindowSize?
    public var hostname: String?
    /// When set, the process is a container: the agent mounts `rootDevice` as the root,
    /// applies this OCI runtime spec (namespaces, pivot_root, mounts, user, capabilities,
    /// rlimits, masked paths) and runs `runtimeSpec.process`; `argv`, `env`, `cwd` and
    /// `hostname` above are then ignored.
    public var runtimeSpec: RuntimeSpec?
    /// `exec`: run inside the container whose main process was started on this stream —
    /// its namespaces, root, user and capabilities; `env` adds to the container's
    /// environment and an empty `cwd` keeps the container's working directory.
    public var container: UInt32?
    /// A guest-side helper (`top`, `stats`, `cp`): runs in the agent's own namespaces with
    /// the guest's busybox, its working directory `cwd` taken inside the root of the
    /// container started on this stream (seen through /proc/PID/root).
    public var besideContainer: UInt32?
    /// `--storage-opt size`: a block device with an ext4 file system that takes the
    /// container's writes (`upper/`, `work/` of an overlay whose lower layer is
    /// `rootDevice`, mounted read-only); nil writes into `rootDevice` itself.
    public var writableDevice: String?
    /// A container's main process only: the guest's NIC and the files for /etc, set up
    /// before the container (GuestNetwork). nil: no NIC is configured, no file written.
    public var network: GuestNetwork?

    public init(argv: [String], env: [String] = [], cwd: String = "/", rootDevice: String? = nil,
                stdin: Bool = false, terminal: Bool = false, windowSize: WindowSize? = nil,
                hostname: String? = nil, runtimeSpec: RuntimeSpec? = nil, container: UInt32? = nil,
                besideContainer: UInt32? = nil, writableDevice: String? = nil, network: GuestNetwork? = nil) {
        self.writableDevice = writableDevice
        self.network = network
        self.runtimeSpec = runtimeSpec
        self.container = container
        self.besideContainer = besideContainer
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.rootDevice = rootDevice
        self.stdin = stdin
        self.terminal = terminal
        self.windowSize = windowSize
        self.hostname = hostname
    }
}

public struct WindowSize: Codable, Sendable, Equatable {
    public var rows: UInt16
    public var columns: UInt16
    public init(rows: UInt16, columns: UInt16) {
        self.rows = rows
        self.columns = columns
    }
}

public struct SignalRequest: Codable, Sendable, Equatable {
    public var stream: UInt32
    public var signal: Int32
    public init(stream: UInt32, signal: Int32) {
        self.stream = stream
        self.signal = signal
    }
}

public struct ReplayRequest: Codable, Sendable, Equatable {
    public var stream: UInt32
    /// Offsets in the process's stdout and stderr; `UInt64.max` asks for nothing again.
    public var stdout: UInt64
    public var stderr: UInt64
    public init(stream: UInt32, stdout: UInt64, stderr: UInt64) {
        self.stream = stream
        self.stdout = stdout
        self.stderr = stderr
    }
}

public struct CgroupUsageRequest: Codable, Sendable, Equatable {
    /// The stream the container's main process was started on.
    public var stream: UInt32
    public init(stream: UInt32) {
        self.stream = stream
    }
}

/// The agent's answer to `cgroupUsage`: the container cgroup's (v2) files as the guest's
/// kernel wrote them, each cut at `maxFileBytes`. Untrusted on the host: HullRuntime's
/// `CgroupUsage` parses them with bounds and refuses what no kernel writes.
public struct CgroupFiles: Codable, Sendable, Equatable {
    public var memoryCurrent: String
    public var memoryMax: String
    public var pidsCurrent: String
    public var pidsMax: String
    public var cpuStat: String

    /// The most the agent sends of one file (cpu.stat is ~150 bytes, the others one number).
    public static let maxFileBytes = 4096

    public init(memoryCurrent: String, memoryMax: String, pidsCurrent: String, pidsMax: String, cpuStat: String) {
        self.memoryCurrent = memoryCurrent
        self.memoryMax = memoryMax
        self.pidsCurrent = pidsCurrent
        self.pidsMax = pidsMax
        self.cpuStat = cpuStat
    }
}

public struct ResizeRequest: Codable, Sendable, Equatable {
    public var stream: UInt32
    public var size: WindowSize
    public init(stream: UInt32, size: WindowSize) {
        self.stream = stream
        self.size = size
    }
}

/// Empty result for requests that only succeed or fail.
public struct Empty: Codable, Sendable, Equatable {
    public init() {}
}

/// `{"result": R}` on success, `{"error": "..."}` on failure.
public struct Response<R: Codable & Sendable>: Codable, Sendable {
    public var result: R?
    public var error: String?
    public init(result: R) { self.result = result; self.error = nil }
    public init(error: String) { self.result = nil; self.error = error }
}

/// Guest → host notifications, in `.event` frames on the stream they concern.
public enum Event: Sendable, Equatable {
    /// The process started on this stream ended; all its stdout/stderr frames precede this.
    case exit(ExitStatus)
}

public struct ExitStatus: Codable, Sendable, Equatable {
    /// Exit code when the process exited normally.
    public var code: Int32?
    /// Signal number when the process was killed by a signal.
    public var signal: Int32?
    /// The kernel's OOM killer killed a process of the container (its memory cgroup's
    /// `oom_kill` count rose) while it ran; only for a container's main process.
    public var oomKilled: Bool?
    public init(code: Int32? = nil, signal: Int32? = nil, oomKilled: Bool? = nil) {
        self.code = code
        self.signal = signal
        self.oomKilled = oomKilled
    }
    /// The status a shell (and Docker) reports: the code, or 128 + signal. Total for any
    /// values (they come from the untrusted guest): a code outside 0...255 or a signal
    /// outside 1...127 gives 255.
    public var shellStatus: Int32 {
        if let code { return (0...255).contains(code) ? code : 255 }
        if let signal { return (1...127).contains(signal) ? 128 + signal : 255 }
        return 255
    }

    /// What a Linux process can end with: exactly one of a code 0...255 or a signal 1...64.
    public var isPossible: Bool {
        switch (code, signal) {
        case (let code?, nil): (0...255).contains(code)
        case (nil, let signal?): (1...64).contains(signal)
        default: false
        }
    }
}
