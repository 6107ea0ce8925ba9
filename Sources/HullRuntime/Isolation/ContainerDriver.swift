import Foundation
import HullProtocol

/// One isolation mode's way of running an OCI bundle. Lifecycle code (ContainerRunner for
/// `hull run`, hulld's ContainerManager) talks only to this protocol, never to a mode by name.
///
/// Life of a container: `createSandbox` (the isolation boundary exists: a guest booted,
/// or nothing yet for runc/runsc) → `Sandbox.start` (the bundle's process runs with the
/// given stdio) → `ContainerProcess.wait` / `signal` / `resize` → `Sandbox.delete`
/// (nothing of it left on the host).
public protocol IsolationDriver: Sendable {
    var mode: IsolationMode { get }
    /// The form of root filesystem this mode runs from; the bundle is made accordingly.
    var rootfsForm: RootfsForm { get }
    /// Where a directory of Hull's helper files (`$HULL_HOME/probe`) is found by the
    /// isolation boundary, as the source of a read-only bind mount.
    func helperSource(_ directory: HelperDirectory) -> String
    /// Where the isolation boundary finds volume number `index` (host path `hostPath`):
    /// the host path itself for runc/runsc, its virtiofs share inside a guest.
    func volumeSource(hostPath: String, index: Int) -> String
    /// Where the isolation boundary finds the container's generated `/etc` file `name`
    /// ("hosts", "resolv.conf"; ContainerEtcFiles), which OCIBundle.make wrote to
    /// `<run>/etc/name` on the host.
    func etcFileSource(_ name: String, runDirectory: URL) -> String
    /// Adjusts the spec to what this mode can do on this host before config.json is
    /// written (e.g. limits the host kernel would refuse); most modes change nothing.
    func adapt(_ spec: inout RuntimeSpec)
    /// Makes the sandbox for `bundle`; `name` is the container's name (guest domain,
    /// runtime container id).
    func createSandbox(bundle: OCIBundle, name: String) async throws -> any Sandbox
    /// Whether a container keeps running when the hull process that started it goes away,
    /// for the next one to take over (a guest does; runc/runsc containers do not: hull is
    /// their subreaper and holds their stdio pipes).
    var outlivesHull: Bool { get }
    /// Ends whatever an earlier hull process left of container `name` whose bundle is
    /// `directory` (hulld restarted and cannot take it over).
    func removeLeftovers(of name: String, bundle directory: URL) async
    /// Takes over a container an earlier hull process started (hulld restarted): its
    /// sandbox and main process when it still runs, else how it ended. Modes that do not
    /// outlive hull end it (the default).
    func takeOver(_ leftover: Leftover, output: TakeoverOutput) async -> Takeover
}

extension IsolationDriver {
    public func takeOver(_ leftover: Leftover, output: TakeoverOutput) async -> Takeover {
        await removeLeftovers(of: leftover.name, bundle: leftover.bundle)
        return .exited(code: 137, reason: "hulld restarted: a container with --isolation \(mode.rawValue) ends with the hulld that ran it (hulld is its runtime's subreaper and holds its stdio)")
    }
}

/// A container an earlier hull process started, as that one recorded it.
public struct Leftover: Sendable {
    public var name: String
    public var bundle: URL
    /// The name the host knew its sandbox by when it last started (a guest's libvirt
    /// domain, as IsolationDrivers.hostName gave it then), when recorded.
    public var hostName: String?
    /// The runtime's handle of its main process (a guest agent's stream), when recorded.
    public var mainStream: UInt32?
    public var stdinOpen: Bool

    public init(name: String, bundle: URL, hostName: String?, mainStream: UInt32?, stdinOpen: Bool) {
        self.name = name
        self.bundle = bundle
        self.hostName = hostName
        self.mainStream = mainStream
        self.stdinOpen = stdinOpen
    }
}

/// What became of a leftover.
public enum Takeover: Sendable {
    /// It runs on, now held by this process.
    case running(any Sandbox, any ContainerProcess)
    /// It ended: its status, and why when it was not its own doing.
    case exited(code: Int32, reason: String?)
}

/// Where a taken-over main process's output goes: its stdio, and how many bytes of each
/// stream are already kept, so the runtime sends the rest exactly once.
public typealias TakeoverOutput = @Sendable () throws -> (stdio: ProcessStdio, kept: (stdout: UInt64, stderr: UInt64))

/// The isolation boundary of one container.
public protocol Sandbox: Sendable {
    /// Starts the bundle's process (config.json `process`) with `stdio`: stdin only when
    /// given, a terminal when the spec asks for one (stdout then carries the terminal).
    func start(stdio: ProcessStdio) async throws -> any ContainerProcess
    /// Starts another process in the running container (`hull exec`): the agent joins the
    /// container's namespaces in a guest; `runc exec` / `runsc exec` otherwise. It runs as
    /// the container's user with its capabilities; `process.env` adds to the container's.
    func exec(_ process: ExecProcess, stdio: ProcessStdio) async throws -> any ContainerProcess
    /// Runs a tool as root with the container's root filesystem as its `/` (`hull top`,
    /// `cp`): in a guest Hull's own busybox beside the container, so nothing is needed in
    /// the image; under runc/runsc, which have no place outside the container for Hull's
    /// tools, the image's own (`ps`, `tar`, `sh`) inside it — missing ones are reported.
    func runTool(_ argv: [String], cwd: String, stdio: ProcessStdio) async throws -> any ContainerProcess
    /// The container's processes (`hull top`) as the runtime sees them from outside, so no
    /// `ps` is needed in the image; nil where `ps` through `runTool` answers it (a guest).
    func processTable() async throws -> ProcessTable?
    /// The container's resource use and limits as its own cgroup counts them (`hull
    /// stats`): the container's cgroup in its guest (vm, asked of the agent); its host
    /// cgroup (process); the host cgroup of the whole sandbox, the Sentry's and gofer's
    /// own memory, threads and CPU time included (gvisor: docs/limits.md, "Usage"). nil
    /// when there is none to read: before `start`, after `delete`, or a guest whose agent
    /// predates the request. Throws when the cgroup exists but gives no reading.
    func cgroupUsage() async throws -> CgroupUsage?
    /// Ends the container at once (guest destroyed, runtime container killed); its
    /// process's `wait` then returns. `delete` still has to be called.
    func destroy() async

    /// Host processes this container costs (qemu; runsc's sandbox and gofer; runc's
    /// container processes), for `hull bench`'s memory figure.
    func hostProcessIDs() -> [Int32]
    /// What to show when the container failed (guest console, runtime log).
    var diagnostics: String { get }
    /// Ends everything the container has on the host. Safe to call more than once.
    func delete() async
    /// Why the sandbox went away when its process could not say (a guest that died: its
    /// libvirt stop event), waiting at most `duration` for the runtime to tell; nil when
    /// it has nothing to say (the default).
    func endReason(within duration: Duration) async -> String?
}

extension Sandbox {
    public func endReason(within duration: Duration) async -> String? { nil }
}

/// A process running in a container.
public protocol ContainerProcess: Sendable {
    /// The agent's stream of a process in a guest, which a restarted hulld resumes; nil
    /// where the process cannot outlive hull (runc/runsc: hull is their subreaper).
    var resumableStream: UInt32? { get }
    /// Waits until the process exited and its output was delivered.
    func wait() async throws -> ExitStatus
    func signal(_ signal: Int32) async throws
    func resize(_ size: WindowSize) async throws
}

extension GuestProcess: ContainerProcess {
    public var resumableStream: UInt32? { stream }
}

/// `hull top`'s answer: column titles and one row per process.
public struct ProcessTable: Sendable, Equatable {
    public var titles: [String]
    public var rows: [[String]]

    public init(titles: [String], rows: [[String]]) {
        self.titles = titles
        self.rows = rows
    }

    /// A `ps`-style text table: the first line holds the titles; the last column may hold
    /// spaces (the command).
    public static func parse(_ text: String) -> ProcessTable {
        var lines = text.split(separator: "\n").map(String.init)
        guard !lines.isEmpty else { return ProcessTable(titles: [], rows: []) }
        let titles = lines.removeFirst().split(separator: " ").map(String.init)
        let rows = lines.map { line in
            // The padding before the last column stays with it after maxSplits: trimmed.
            line.split(separator: " ", maxSplits: max(titles.count - 1, 0), omittingEmptySubsequences: true)
                .map { String($0.drop { $0 == " " }) }
        }
        return ProcessTable(titles: titles, rows: rows)
    }
}

/// A process `hull exec` adds to a running container.
public struct ExecProcess: Sendable, Equatable {
    public var args: [String]
    /// `KEY=value` entries added to (or replacing those of) the container's environment.
    public var env: [String]
    /// nil: the container's working directory.
    public var cwd: String?
    public var terminal: Bool
    public var windowSize: WindowSize?
    public var stdin: Bool
    /// nil: the container's user.
    public var user: RuntimeSpec.User?

    public init(args: [String], env: [String] = [], cwd: String? = nil, terminal: Bool = false,
                windowSize: WindowSize? = nil, stdin: Bool = false, user: RuntimeSpec.User? = nil) {
        self.user = user
        self.args = args
        self.env = env
        self.cwd = cwd
        self.terminal = terminal
        self.windowSize = windowSize
        self.stdin = stdin
    }

    /// The container's process made into this one: same user, capabilities, rlimits and
    /// security settings; these args, cwd, terminal; env entries replaced by key.
    public func applied(to base: RuntimeSpec.Process) -> RuntimeSpec.Process {
        var process = base
        process.args = args
        if let user { process.user = user }
        if let cwd, !cwd.isEmpty { process.cwd = cwd }
        process.terminal = terminal
        process.consoleSize = terminal ? windowSize.map { RuntimeSpec.ConsoleSize(height: $0.rows, width: $0.columns) } : nil
        var merged = base.env ?? []
        for entry in env {
            let key = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
            merged.removeAll { $0 == key || $0.hasPrefix(key + "=") }
            merged.append(entry)
        }
        process.env = merged
        return process
    }
}

public enum SandboxError: Error, CustomStringConvertible, Equatable {
    case unsupported(String, mode: IsolationMode)
    case toolMissing(String, mode: IsolationMode)

    public var description: String {
        switch self {
        case .unsupported(let what, let mode):
            "\(what) is not available for containers with --isolation \(mode.rawValue)"
        case .toolMissing(let tool, let mode):
            "this needs `\(tool)` in the container's image: with --isolation \(mode.rawValue) Hull has no tools of its own beside the container"
        }
    }
}

/// How a mode wants the container's root filesystem.
public enum RootfsForm: Sendable, Equatable {
    /// A copy-on-write disk (qcow2 over the cached ext4 of the image) for a guest.
    case disk
    /// A directory in the bundle (`<bundle>/rootfs`), unpacked from the image.
    case directory
}

/// Directories of Hull's own files a container can be given.
public enum HelperDirectory: String, Sendable {
    /// The static probe (`hull probe`, `hull bench`).
    case probe
}
