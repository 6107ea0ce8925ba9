import HullProtocol

/// One isolation mode's way of running an OCI bundle. Lifecycle code (ContainerRunner now,
/// hulld later) talks only to this protocol, never to a mode by name.
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
    /// Adjusts the spec to what this mode can do on this host before config.json is
    /// written (e.g. limits the host kernel would refuse); most modes change nothing.
    func adapt(_ spec: inout RuntimeSpec)
    /// Makes the sandbox for `bundle`; `name` is the container's name (guest domain,
    /// runtime container id).
    func createSandbox(bundle: OCIBundle, name: String) async throws -> any Sandbox
}

/// The isolation boundary of one container.
public protocol Sandbox: Sendable {
    /// Starts the bundle's process (config.json `process`) with `stdio`: stdin only when
    /// given, a terminal when the spec asks for one (stdout then carries the terminal).
    func start(stdio: ProcessStdio) async throws -> any ContainerProcess
    // exec (a second process in the running container) is hulld's: it will be
    // `func exec(_ process: RuntimeSpec.Process, stdio: ProcessStdio) async throws -> any ContainerProcess`
    // (`runc exec`/`runsc exec`, and an agent request joining the container's namespaces).

    /// Host processes this container costs (qemu; runsc's sandbox and gofer; runc's
    /// container processes), for `hull bench`'s memory figure.
    func hostProcessIDs() -> [Int32]
    /// What to show when the container failed (guest console, runtime log).
    var diagnostics: String { get }
    /// Ends everything the container has on the host. Safe to call more than once.
    func delete() async
}

/// A process running in a container.
public protocol ContainerProcess: Sendable {
    /// Waits until the process exited and its output was delivered.
    func wait() async throws -> ExitStatus
    func signal(_ signal: Int32) async throws
    func resize(_ size: WindowSize) async throws
}

extension GuestProcess: ContainerProcess {}

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
