import Foundation
import HullLibvirt
import HullProtocol
import Logging

/// One running guest: its libvirt domain, its run folder and its agent session.
public final class GuestVM: Sendable {
    public let id: String
    public let domainName: String
    public let runDirectory: URL
    public let agent: AgentConnection
    public let hello: HelloReply
    /// How the guest was started; nil for a guest hulld took over after a restart.
    public let acceleration: AccelerationChoice?
    private let domain: LibvirtDomain

    private init(id: String, domainName: String, runDirectory: URL, agent: AgentConnection,
                 hello: HelloReply, acceleration: AccelerationChoice?, domain: LibvirtDomain) {
        self.id = id
        self.domainName = domainName
        self.runDirectory = runDirectory
        self.agent = agent
        self.hello = hello
        self.acceleration = acceleration
        self.domain = domain
    }

    static let consoleLogName = "console.log"
    static let controlSocketName = "control.sock"

    /// Defines and starts a transient domain named `domainName` (`HullPaths.domainName(for:)`),
    /// then waits for the agent's handshake.
    /// On failure the domain is destroyed and the error carries the console log.
    public static func boot(id: String, domainName name: String, config: GuestConfig, rootDisk: URL?,
                            image: GuestImage, runDirectory: URL, libvirt: LibvirtConnection, logger: Logger,
                            autodestroy: Bool = true, filesystems: [FilesystemSpec] = [],
                            writableDisk: URL? = nil, interfaces: [InterfaceSpec] = []) async throws -> GuestVM {
        let accel = try AccelerationChoice.decide(override: config.accelerationOverride)
        let console = runDirectory.appendingPathComponent(consoleLogName)
        let socket = runDirectory.appendingPathComponent(controlSocketName)
        let channel = try ControlChannelChoice.decide()
        let cid = ControlChannelChoice.randomCID()
        let transport: ControlTransport = channel == .vsock
            ? .vsock(cid: cid, port: ControlTransport.vsockPort)
            : .virtioSerial(socketPath: socket.path)
        var spec = DomainSpec(
            name: name, domainType: accel.domainType, memoryMiB: config.memoryMiB, vcpus: config.vcpus,
            kernel: image.kernel.path, initrd: image.initramfs.path,
            cmdline: (GuestConfig.baseKernelArgs + ["hull.channel=\(channel.rawValue)"] + config.extraKernelArgs)
                .joined(separator: " "))
        // Under TCG, QEMU's default CPU lacks RDRAND: the kernel's random pool is then
        // ready only ~2.5 s into boot and the Swift runtime blocks in getrandom() until it
        // is (measured: boot to agent 2.74 s → 1.99 s with the `maximum` CPU model).
        if accel.domainType == .qemu { spec.cpuMode = .maximum }
        spec.consoleLogPath = console.path
        spec.controlChannel = channel == .vsock
            ? .vsock(cid: cid)
            : .virtioSerial(socketPath: socket.path, name: ControlTransport.portName)
        spec.containerID = id
        spec.qemuAccount = HomeAccess.qemuAccount().map { DACLabel(uid: $0.uid, gid: $0.gid) }
        spec.filesystems = filesystems
        spec.interfaces = interfaces
        if let rootDisk {
            // The overlay dies with the container: no flushes to the host disk needed.
            spec.disks = [DiskSpec(path: rootDisk.path, format: .qcow2, targetDevice: "vda", cache: .unsafe)]
        }
        if let writableDisk {
            // --storage-opt size: the container's writable layer (WritableLayer), /dev/vdb.
            spec.disks.append(DiskSpec(path: writableDisk.path, format: .raw, targetDevice: "vdb", cache: .unsafe))
        }
        let xml = DomainXML.render(spec)
        logger.debug("starting guest", metadata: ["domain": "\(name)", "accel": "\(accel.domainType)"])
        let started = ContinuousClock.now
        let domain: LibvirtDomain
        do {
            // Autodestroy (one-shot `hull run`): if this process dies, libvirt destroys the
            // guest with it. hulld's guests outlive hulld instead.
            // Checked first (DomainSpecValidation): a bad NIC or path is named, not left to QEMU.
            try spec.validate()
            domain = try libvirt.createTransient(xml: xml, autodestroy: autodestroy)
        } catch {
            throw GuestBootError(domainName: name, reason: "libvirt could not start it: \(error)",
                                 consoleLog: consoleTail(console))
        }
        // libvirtd made the channel's socket 0775 and handed QEMU its descriptor: only
        // hull and hulld (root) connect to the path.
        if case .virtioSerial(let path, _) = spec.controlChannel { _ = chmod(path, 0o600) }
        do {
            let deadline = started + config.bootTimeout
            let fd = try await transport.connect(deadline: deadline)
            let agent = AgentConnection(fd: fd, logger: logger)
            let hello = try await waitForHello(agent: agent, domain: domain, deadline: deadline,
                                               timeout: config.bootTimeout)
            logger.debug("guest up", metadata: [
                "domain": "\(name)", "ms": "\((ContinuousClock.now - started).milliseconds)", "nics": "\(interfaces.count)",
                "agent": "\(hello.agent)", "kernel": "\(hello.kernel)",
            ])
            return GuestVM(id: id, domainName: name, runDirectory: runDirectory, agent: agent,
                           hello: hello, acceleration: accel, domain: domain)
        } catch {
            try? domain.destroy()
            throw GuestBootError(domainName: name, reason: "\(error)", consoleLog: consoleTail(console))
        }
    }

    /// The running domain of container `name`'s guest, to take over after hulld restarted:
    /// the one its record holds (`recorded`), or `paths.domainName(for: name)` for a record
    /// made before domain names carried HULL_HOME (`hull-NAME`) whose container was started
    /// again since (booted under this HULL_HOME's name; tried first: no other hulld has it).
    /// nil when neither runs.
    public static func runningDomain(of name: String, recorded: String, paths: HullPaths,
                                     libvirt: LibvirtConnection) -> String? {
        let current = paths.domainName(for: name)
        return (current == recorded ? [recorded] : [current, recorded]).first { candidate in
            (try? libvirt.lookup(name: candidate)?.isActive()) ?? false
        }
    }

    /// Takes over the running guest of container `id` whose host went away (hulld
    /// restarted): connects to its control socket again and resumes the agent's session.
    /// `domainName` is the one `runningDomain` found. The reply lists the processes the
    /// agent runs and those it saw exit.
    public static func reattach(id: String, domainName name: String, runDirectory: URL, libvirt: LibvirtConnection,
                                logger: Logger, timeout: Duration = .seconds(15)) async throws -> GuestVM {
        guard let domain = try libvirt.lookup(name: name), try domain.isActive() else {
            throw AgentError.channel("the guest \(name) is not running")
        }
        guard try ControlChannelChoice.decide() == .virtioSerial else {
            throw AgentError.channel("reattaching over vsock is not supported yet")
        }
        let socket = runDirectory.appendingPathComponent(controlSocketName)
        let fd = try await ControlTransport.virtioSerial(socketPath: socket.path).connect(deadline: .now + timeout)
        let agent = AgentConnection(fd: fd, logger: logger, resuming: true)
        do {
            let hello = try await agent.resume(timeout: timeout)
            logger.info("reattached", metadata: ["domain": "\(name)", "processes": "\(hello.processes?.count ?? 0)"])
            return GuestVM(id: id, domainName: name, runDirectory: runDirectory, agent: agent, hello: hello,
                           acceleration: nil, domain: domain)
        } catch {
            agent.close()
            throw error
        }
    }

    /// Races the handshake against the guest dying (panic, poweroff) and the deadline.
    private static func waitForHello(agent: AgentConnection, domain: LibvirtDomain,
                                     deadline: ContinuousClock.Instant, timeout: Duration) async throws -> HelloReply {
        try await withThrowingTaskGroup(of: HelloReply?.self) { group in
            group.addTask {
                try await agent.hello(timeout: max(.milliseconds(1), deadline - .now))
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(100))
                    if !((try? domain.isActive()) ?? false) {
                        agent.close(reason: .channel("the guest stopped before its agent answered"))
                        throw AgentError.channel("the guest stopped before its agent answered (see the console log below)")
                    }
                }
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let hello = result { return hello }
            }
            throw AgentError.timeout("hello", timeout)
        }
    }

    /// Asks the agent to power the guest off and waits briefly for it; destroys it when
    /// that does not happen in time. Measured under TCG: QEMU needs ~1.3 s to exit on the
    /// SIGTERM that virDomainDestroy sends, but ~0.03 s after an ACPI power-off.
    public func stop(grace: Duration = .seconds(2)) async {
        let deadline = ContinuousClock.now + grace
        if (try? await agent.call(.shutdown, expecting: Empty.self, timeout: grace)) != nil {
            while ContinuousClock.now < deadline, isRunning {
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        destroy()
    }

    /// Ends the guest at once. Safe to call more than once.
    public func destroy() {
        agent.close()
        try? domain.destroy()
    }

    public var isRunning: Bool { (try? domain.isActive()) ?? false }

    public var consoleLogTail: String { GuestVM.consoleTail(runDirectory.appendingPathComponent(GuestVM.consoleLogName)) }

    static func consoleTail(_ url: URL, lines: Int = 40) -> String {
        guard let text = try? String(contentsOf: url, encoding: .utf8), !text.isEmpty else {
            return "(console log is empty)"
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// A guest that did not come up, with what its console said.
public struct GuestBootError: Error, CustomStringConvertible {
    public var domainName: String
    public var reason: String
    public var consoleLog: String

    public var description: String {
        """
        guest \(domainName) did not come up: \(reason)
        --- guest console (last lines) ---
        \(consoleLog)
        --- end of guest console ---
        """
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}
