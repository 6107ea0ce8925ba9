import Foundation
import Glibc
import HullLibvirt
import HullProtocol
import Logging
import Synchronization

/// `--isolation vm`: the container runs in its own guest (libvirt + QEMU, the Hull agent
/// as PID 1), from a qcow2 overlay over the image's ext4 disk.
public struct VMDriver: IsolationDriver {
    public var guest: GuestConfig
    public var paths: HullPaths
    public var logger: Logger
    /// false under hulld: the guest outlives the connection that started it (with the
    /// agent's `hull.persist=1`), so a restarted hulld can take it over.
    public var autodestroy: Bool

    public init(guest: GuestConfig, paths: HullPaths, logger: Logger, autodestroy: Bool = true) {
        self.guest = guest
        self.paths = paths
        self.logger = logger
        self.autodestroy = autodestroy
    }

    public var mode: IsolationMode { .vm }
    public var rootfsForm: RootfsForm { .disk }

    /// The initramfs carries Hull's helpers under /usr/lib/hull (guest-agent/build-initramfs.sh).
    public func helperSource(_ directory: HelperDirectory) -> String { "/usr/lib/hull/\(directory.rawValue)" }

    /// A guest mounts volume N's virtio-fs share at /run/hull/volumes/N (VirtiofsShares;
    /// a file's folder is shared, and the one file bound from it).
    public func volumeSource(hostPath: String, index: Int) -> String {
        let folder = VirtiofsShares.sharedFolder(for: hostPath)
        let base = "/run/hull/volumes/\(index)"
        return folder == hostPath ? base : base + "/" + (hostPath as NSString).lastPathComponent
    }

    /// The agent writes the files it is sent to /run/hull/etc/ in the guest before the
    /// container starts.
    public func etcFileSource(_ name: String, runDirectory: URL) -> String { "/run/hull/etc/\(name)" }

    /// The guest's kernel is the container's: the spec runs as it is.
    public func adapt(_ spec: inout RuntimeSpec) {}

    public func createSandbox(bundle: OCIBundle, name: String) async throws -> any Sandbox {
        guard case .disk(let overlay) = bundle.rootfs else {
            preconditionFailure("a guest boots from a disk; the bundle was made for another form")
        }
        let image = try GuestImage.locate(paths)
        let network = try Self.guestNetwork(for: bundle)
        // libvirt relabels nothing (DomainSpec.qemuAccount): QEMU reaches exactly the
        // shared guest files and this guest's own disks, through its group.
        HomeAccess.grantGuestFiles(paths)
        HomeAccess.grantRunDirectory(bundle.directory)
        let libvirt = try LibvirtConnection()
        let shares = try await VirtiofsShares.start(for: bundle.spec, runDirectory: bundle.directory, logger: logger)
        var config = guest
        config.extraKernelArgs += shares.kernelArgs
        let vm: GuestVM
        do {
            vm = try await GuestVM.boot(id: name, domainName: paths.domainName(for: name), config: config,
                                        rootDisk: overlay, image: image, runDirectory: bundle.directory, libvirt: libvirt, logger: logger,
                                        autodestroy: autodestroy, filesystems: shares.filesystems,
                                        writableDisk: bundle.writable?.disk, interfaces: network.interfaces)
        } catch {
            await shares.stop()
            throw error
        }
        return VMSandbox(vm: vm, spec: bundle.spec, shares: shares, writableDevice: bundle.writable == nil ? nil : "/dev/vdb",
                         network: network.guest)
    }

    /// The guest's side of the bundle's network: the NIC the domain gets (a macvtap in
    /// passthrough mode on the endpoint's host device, the veth the engine made) and what
    /// the agent is told in the container's `start` (the NIC's address, route and MTU, and
    /// the files OCIBundle wrote to `<run>/etc/`, which the spec binds from
    /// `/run/hull/etc/` in the guest). Checked here, before a guest boots, with the rules
    /// the agent applies again.
    static func guestNetwork(for bundle: OCIBundle) throws -> (interfaces: [InterfaceSpec], guest: GuestNetwork?) {
        var interfaces: [InterfaceSpec] = []
        var network = GuestNetwork()
        if let endpoint = bundle.spec.networkEndpoint {
            guard let device = endpoint.hostDevice else {
                throw RunError.startFailed("network \(endpoint.network): a vm container's endpoint needs a host device (the host end of its veth); it has none")
            }
            interfaces.append(InterfaceSpec(source: .directPassthrough(device: device), mac: endpoint.mac))
            network.interface = GuestInterface(mac: endpoint.mac, address: endpoint.address, prefixLength: endpoint.prefixLength,
                                               gateway: endpoint.gateway, mtu: endpoint.mtu)
        } else if bundle.spec.annotations?[RuntimeSpec.networkAnnotation] != nil {
            throw RunError.startFailed("the bundle's network endpoint (annotation \(RuntimeSpec.networkAnnotation)) cannot be read")
        }
        let etc = ContainerEtcFiles.directory(in: bundle.directory)
        for name in ContainerEtcFiles.names {
            let file = etc.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: file.path) else { continue }
            // Bounded before it is read whole: OCIBundle wrote it, but from the API's input.
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
            guard size <= GuestNetwork.maxFileBytes else {
                throw RunError.startFailed("\(file.path) is \(size) bytes; a guest takes at most \(GuestNetwork.maxFileBytes)")
            }
            let data = try Data(contentsOf: file)
            guard let contents = String(data: data, encoding: .utf8) else {
                throw RunError.startFailed("\(file.path) is not UTF-8")
            }
            network.etcFiles.append(GuestEtcFile(name: name, contents: contents))
        }
        let problems = network.problems()
        guard problems.isEmpty else {
            throw RunError.startFailed("the container's network for its guest: " + problems.joined(separator: "; "))
        }
        let empty = network.interface == nil && network.etcFiles.isEmpty
        return (interfaces, empty ? nil : network)
    }

    public var outlivesHull: Bool { true }

    public func removeLeftovers(of name: String, bundle directory: URL) async {
        try? LibvirtConnection().lookup(name: paths.domainName(for: name))?.destroy()
        VirtiofsShares.killLeftovers(in: directory)
    }

    /// The guest an earlier hulld started runs on (the agent waits for the next hulld,
    /// `hull.persist=1`): connect to its agent again, adopt its main process, have it send
    /// again what the log lacks, and drain the output of the old hulld's execs.
    public func takeOver(_ leftover: Leftover, output: TakeoverOutput) async -> Takeover {
        let libvirt: LibvirtConnection
        do {
            libvirt = try LibvirtConnection()
        } catch {
            return .exited(code: 137, reason: "hulld restarted and could not reach libvirt to take over the guest: \(error)")
        }
        guard let domainName = GuestVM.runningDomain(of: leftover.name, recorded: leftover.hostName ?? paths.domainName(for: leftover.name),
                                                     paths: paths, libvirt: libvirt) else {
            return .exited(code: 137, reason: "the guest was gone when hulld started (it ended while hulld was down)")
        }
        let vm: GuestVM
        do {
            vm = try await GuestVM.reattach(id: leftover.name, domainName: domainName, runDirectory: leftover.bundle,
                                            libvirt: libvirt, logger: logger)
        } catch {
            try? libvirt.lookup(name: domainName)?.destroy()
            return .exited(code: 137, reason: "hulld restarted and could not take over the guest (\(error)), so it was stopped")
        }
        let processes = vm.hello.processes ?? []
        // Execs of the previous hulld: their output has no reader any more; drain it so
        // they can finish.
        for state in processes where state.exit == nil && state.stream != leftover.mainStream {
            Self.drain(stream: state.stream, vm: vm)
        }
        guard let main = leftover.mainStream, let state = processes.first(where: { $0.stream == main }) else {
            await vm.stop()
            return .exited(code: 137, reason: "the container's exit status was lost while hulld was down")
        }
        if let exit = state.exit {
            await vm.stop()
            return .exited(code: exit.shellStatus, reason: nil)
        }
        do {
            let (stdio, kept) = try output()
            let process = vm.agent.adopt(stream: main, stdio: stdio, stdinOpen: leftover.stdinOpen)
            // What the agent sent that never reached the log comes again: exactly once.
            try await vm.agent.replay(stream: main, stdout: kept.stdout, stderr: kept.stderr)
            let spec = (try? OCIBundle.existing(in: leftover.bundle, form: .disk))??.spec ?? RuntimeSpec(process: RuntimeSpec.Process(args: []))
            let sandbox = VMSandbox(vm: vm, spec: spec, shares: nil)
            sandbox.main.withLock { $0 = main }
            return .running(sandbox, process)
        } catch {
            vm.destroy()
            return .exited(code: 137, reason: "hulld restarted and could not take over the guest (\(error)), so it was stopped")
        }
    }

    private static func drain(stream: UInt32, vm: GuestVM) {
        let sink = open("/dev/null", O_WRONLY | O_CLOEXEC)
        guard sink >= 0 else { return }
        let process = vm.agent.adopt(stream: stream, stdio: ProcessStdio(stdin: nil, stdout: sink, stderr: sink), stdinOpen: false)
        Task {
            try? await vm.agent.replay(stream: stream, stdout: .max, stderr: .max)
            _ = try? await process.wait()
            close(sink)
        }
    }
}

/// A booted guest holding one container.
final class VMSandbox: Sandbox {
    let vm: GuestVM
    let spec: RuntimeSpec
    /// The agent's stream of the container's main process, once started.
    let main = Mutex<UInt32?>(nil)
    /// The virtiofsd processes of its volumes (nil for a guest a previous hulld started:
    /// its virtiofsd end with QEMU, unreaped by this one).
    let shares: VirtiofsShares?
    /// The disk of the writable layer (`--storage-opt size`), nil without one.
    let writableDevice: String?
    /// The NIC's configuration and the /etc files, for the main process's start.
    let network: GuestNetwork?

    init(vm: GuestVM, spec: RuntimeSpec, shares: VirtiofsShares?, writableDevice: String? = nil,
         network: GuestNetwork? = nil) {
        self.network = network
        self.vm = vm
        self.spec = spec
        self.shares = shares
        self.writableDevice = writableDevice
        GuestEndings.shared.watch(vm.domainName)
    }

    /// libvirt's reason, from its stop event (DriverMonitor feeds GuestEndings).
    func endReason(within duration: Duration) async -> String? {
        await GuestEndings.shared.reason(of: vm.domainName, within: duration)
    }

    func start(stdio: ProcessStdio) async throws -> any ContainerProcess {
        let process = ProcessSpec(
            argv: spec.process.args, env: spec.process.env ?? [], cwd: spec.process.cwd,
            rootDevice: "/dev/vda", stdin: stdio.stdin != nil, terminal: spec.process.terminal ?? false,
            windowSize: spec.process.consoleSize.map { WindowSize(rows: $0.height, columns: $0.width) },
            hostname: spec.hostname, runtimeSpec: spec, writableDevice: writableDevice, network: network)
        let started = try await startInGuest(process, stdio: stdio)
        main.withLock { $0 = started.stream }
        return started
    }

    func exec(_ process: ExecProcess, stdio: ProcessStdio) async throws -> any ContainerProcess {
        // The agent joins the container and applies its user, environment and cwd.
        let spec = ProcessSpec(argv: process.args, env: process.env, cwd: process.cwd ?? "", stdin: process.stdin,
                               terminal: process.terminal, windowSize: process.terminal ? process.windowSize : nil,
                               container: try mainStream())
        return try await startInGuest(spec, stdio: stdio)
    }

    /// The initramfs's busybox, in the guest's root beside the container.
    func runTool(_ argv: [String], cwd: String, stdio: ProcessStdio) async throws -> any ContainerProcess {
        let spec = ProcessSpec(argv: argv, env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], cwd: cwd, stdin: stdio.stdin != nil,
                               besideContainer: try mainStream())
        return try await startInGuest(spec, stdio: stdio)
    }

    private func mainStream() throws -> UInt32 {
        guard let stream = main.withLock({ $0 }) else { throw RunError.startFailed("the container's main process has not started") }
        return stream
    }

    private func startInGuest(_ spec: ProcessSpec, stdio: ProcessStdio) async throws -> GuestProcess {
        do {
            return try await vm.agent.start(spec, stdio: stdio)
        } catch AgentError.remote(let message) {
            throw RunError.startFailed(message)
        }
    }

    func destroy() async {
        vm.destroy()
    }

    /// The container's cgroup in the guest, as the agent reads it.
    func cgroupUsage() async throws -> CgroupUsage? {
        guard let stream = main.withLock({ $0 }) else { return nil }
        do {
            return try await vm.agent.cgroupUsage(stream: stream)
        } catch AgentError.sessionClosed {
            return nil   // the guest is gone (deleted, or powered off)
        }
    }

    /// The guest's busybox `ps` beside the container answers (hulld's GuestHelper).
    func processTable() async throws -> ProcessTable? { nil }

    /// QEMU, as libvirt recorded its pid.
    func hostProcessIDs() -> [Int32] {
        let file = "/run/libvirt/qemu/\(vm.domainName).pid"
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return [] }
        return [pid]
    }

    var diagnostics: String {
        "--- guest console (last lines) ---\n\(vm.consoleLogTail)\n--- end of guest console ---"
    }

    func delete() async {
        await vm.stop()
        await shares?.stop()
        GuestEndings.shared.forget(vm.domainName)
    }
}
