import CHullRuntime
import Foundation
import Glibc
import HullProtocol
import Logging
import Synchronization

/// `--isolation process` (runc) and `--isolation gvisor` (runsc): the bundle's rootfs is a
/// directory, the runtime's state lives in the container's run folder (`state/`), and
/// hull is the subreaper of what the runtime leaves running, so it waits for the
/// container itself and leaves nothing behind.
public struct OCIRuntimeDriver: IsolationDriver {
    public var runtime: OCIRuntime
    public var paths: HullPaths
    public var logger: Logger

    public init(runtime: OCIRuntime, paths: HullPaths, logger: Logger) {
        self.runtime = runtime
        self.paths = paths
        self.logger = logger
    }

    public var mode: IsolationMode { runtime.mode }
    public var rootfsForm: RootfsForm { .directory }

    /// Host directories are bind-mounted as they are.
    public func helperSource(_ directory: HelperDirectory) -> String {
        paths.home.appendingPathComponent(directory.rawValue).path
    }

    /// runc and runsc bind the host path itself.
    public func volumeSource(hostPath: String, index: Int) -> String { hostPath }

    /// The host file itself.
    public func etcFileSource(_ name: String, runDirectory: URL) -> String {
        ContainerEtcFiles.directory(in: runDirectory).appendingPathComponent(name).path
    }

    /// runc sets rlimits with the host kernel, which refuses to raise a hard limit above
    /// hull's own without CAP_SYS_RESOURCE (measured: a sandbox host with RLIMIT_NOFILE
    /// 20000 fails `runc create` for Docker's 1048576). Such limits are lowered to hull's.
    public func adapt(_ spec: inout RuntimeSpec) {
        guard !HostLimits.canRaiseLimits() else { return }
        spec.process.rlimits = spec.process.rlimits.map { HostLimits.clamp($0, ceiling: HostLimits.hardLimit) }
    }

    public var outlivesHull: Bool { false }

    /// `delete --force` ends the container (runc: its cgroup; runsc: sandbox and gofer);
    /// what still names the bundle afterwards is killed.
    public func removeLeftovers(of name: String, bundle directory: URL) async {
        guard let tool = try? runtime.locate() else { return }
        let state = directory.appendingPathComponent("state").path
        _ = try? await ChildProcess.run(tool, runtime.globalArguments + ["--root", state, "delete", "--force", "hull-\(name)"])
        for process in HostProcesses.all() where process.commandLine.contains(directory.path) {
            kill(process.pid, SIGKILL)
        }
        WritableLayer(directory: directory).unmount()
    }

    public func createSandbox(bundle: OCIBundle, name: String) async throws -> any Sandbox {
        let tool = try runtime.locate()
        ChildProcess.becomeSubreaper()
        signal(SIGPIPE, SIG_IGN)  // a closed stdout shows as EPIPE, not as hull's death
        let state = bundle.directory.appendingPathComponent("state").path
        return OCIRuntimeSandbox(tool: tool, runtime: runtime, arguments: runtime.arguments(for: bundle.spec) + ["--root", state],
                                 id: "hull-\(name)", bundle: bundle, logger: logger)
    }
}
