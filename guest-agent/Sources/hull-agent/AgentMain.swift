import Glibc

/// Boot sequence. As PID 1 of a guest: mount the pseudo filesystems, load the virtio
/// modules, open the control channel, serve the host. In test mode
/// (`HULL_AGENT_TEST_CHANNEL=/path/to/unix.sock`) it only connects to that socket and
/// serves: no mounts, no modules, no hostname changes, exit instead of power-off,
/// no rootDevice.
enum AgentMain {
    static let testChannelVariable = "HULL_AGENT_TEST_CHANNEL"

    static func run() -> Never {
        // Writes to a closed pipe or a gone host must be errors, not death.
        signal(SIGPIPE, SIG_IGN)
        ConsoleStdio.ensureOpen()

        let testSocket = getenv(testChannelVariable).map { String(cString: $0) }
        let power = PowerControl(testMode: testSocket != nil)
        let transport: ControlTransport
        if let testSocket {
            Log.info("test mode: \(testChannelVariable)=\(testSocket)")
            transport = .unixSocket(path: testSocket)
        } else {
            // Mounting over /sys and powering off are for a guest's init only.
            guard getpid() == 1 else {
                Log.info("not PID 1 and \(testChannelVariable) is not set: refusing to run (this is a guest's init)")
                exit(2)
            }
            Log.info("hull-agent \(Agent.version) starting, kernel \(Agent.kernelRelease())")
            GuestMounts.mountAll()
            GuestCgroup.setUp()
            ConsoleStdio.ensureOpen()
            ModuleLoader.loadAll()
            GuestNetworkSetup.loopbackUp()
            let cmdline = KernelCommandLine.current()
            GuestVolumes.mountAll(cmdline.value(of: "hull.volumes"))
            // bench/boot.sh's baseline: boot exactly as a container guest does, then power
            // off without waiting for a host.
            if cmdline.value(of: "hull.selftest") == "poweroff" {
                power.powerOff("selftest: up, powering off as asked")
            }
            transport = ControlTransport.forGuest(cmdline)
        }

        let persistent = testSocket == nil && KernelCommandLine.current().value(of: "hull.persist") == "1"
        let channel: Int32
        do {
            channel = try transport.open()
        } catch {
            power.powerOff("no control channel (\(transport)): \(error)")
        }
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard devNull >= 0 else {
            power.powerOff("\(SystemError("open /dev/null"))")
        }

        let writer = FrameWriter(fd: channel, keepsReplay: persistent) { reason in power.powerOff(reason) }
        let table = ProcessTable(writer: writer)
        power.onTestExit { table.killAll() }
        let reaper = Reaper(table: table)
        do {
            try reaper.start()
        } catch {
            power.powerOff("\(error)")
        }
        let launcher = ProcessLauncher(table: table, reaper: reaper, writer: writer,
                                       rootfs: testSocket == nil ? RootfsMounter() : nil,
                                       appliesHostname: testSocket == nil, devNull: devNull)
        Agent(channel: channel, transport: transport, writer: writer, table: table,
              launcher: launcher, power: power, persistent: persistent).serve()
    }
}
