import CAgentSupport
import Glibc
import HullProtocol

/// The guest's network: loopback at boot, and before a container starts the NIC and the
/// /etc files its `start` carries (HullProtocol's GuestNetwork). By ioctl: the initramfs
/// has no `ip`, and one static NIC needs no netlink.
enum GuestNetworkSetup {
    /// `lo` up (the kernel gives it 127.0.0.1/8 as it comes up). A failure is logged:
    /// the container's start then reports what needed it.
    static func loopbackUp() {
        if hull_net_link_up("lo") != 0 {
            Log.info("\(SystemError("bringing lo up"))")
        }
    }

    /// How long the NIC may take to appear after virtio_net was loaded (it probes the
    /// device as it loads; this only covers a slow probe).
    static let interfaceWait: Duration = .seconds(3)

    /// Checks `network` as the host did, then configures the NIC and writes the files.
    /// Every failure is an AgentError naming the step, also logged on the console.
    static func apply(_ network: GuestNetwork) throws(AgentError) {
        let problems = network.problems()
        guard problems.isEmpty else {
            throw logged("the container's network is invalid: " + problems.joined(separator: "; "))
        }
        if let interface = network.interface {
            try configure(interface)
        }
        try write(network.etcFiles)
    }

    private static func logged(_ message: String) -> AgentError {
        Log.info("network: \(message)")
        return AgentError("network: \(message)")
    }

    private static func configure(_ interface: GuestInterface) throws(AgentError) {
        // problems() was empty: these parse.
        guard let address = GuestInterface.ipv4(interface.address), let gateway = GuestInterface.ipv4(interface.gateway) else {
            throw logged("unparsable address")
        }
        let mask = GuestInterface.netmask(prefixLength: interface.prefixLength)
        let mac = interface.mac.lowercased()
        let began = ContinuousClock.now
        let deadline = began + interfaceWait
        var name = findInterface(mac: mac)
        while name == nil && ContinuousClock.now < deadline {
            usleep(20_000)
            name = findInterface(mac: mac)
        }
        guard let name else {
            let present = interfaces().map { "\($0.name) (\($0.mac))" }.joined(separator: ", ")
            throw logged("no network interface has MAC \(mac) after \(interfaceWait) (present: \(present.isEmpty ? "none" : present)); is virtio_net in the initramfs?")
        }
        func step(_ what: String, _ result: Int32) throws(AgentError) {
            if result != 0 { throw logged("\(name): \(SystemError(what))") }
        }
        // IPv4 only, as Docker's default networks: no IPv6 link-local address, so the guest
        // sends no router solicitations or DAD onto the network. Absent file (no IPv6 in
        // the kernel): nothing to turn off.
        let ipv6 = "/proc/sys/net/ipv6/conf/\(name)/disable_ipv6"
        if access(ipv6, F_OK) == 0 {
            let fd = Glibc.open(ipv6, O_WRONLY | O_CLOEXEC)
            let wrote = fd >= 0 && Glibc.write(fd, "1", 1) == 1
            if fd >= 0 { close(fd) }
            if !wrote { throw logged("\(name): \(SystemError("turning IPv6 off (\(ipv6))"))") }
        }
        try step("setting MTU \(interface.mtu)", hull_net_set_mtu(name, Int32(interface.mtu)))
        try step("setting address \(interface.address)/\(interface.prefixLength)",
                 hull_net_set_address(name, address.bigEndian, mask.bigEndian))
        try step("bringing it up", hull_net_link_up(name))
        // The carrier reaches the interface's flags (IFF_RUNNING) through the kernel's
        // linkwatch, a moment after it is up: wait briefly so the container starts on a
        // running link. Not fatal: the link may still come.
        let carrierBy = ContinuousClock.now + .seconds(2)
        while !isRunning(name) && ContinuousClock.now < carrierBy { usleep(10_000) }
        if !isRunning(name) { Log.info("network: \(name) has no carrier yet (operstate not up after 2 s)") }
        let route = hull_net_add_default_route(name, gateway.bigEndian)
        if route != 0 && errno != EEXIST {
            throw logged("\(name): \(SystemError("adding the default route via \(interface.gateway)"))")
        }
        Log.info("network: \(name) \(mac) \(interface.address)/\(interface.prefixLength) via \(interface.gateway), MTU \(interface.mtu), in \(ContinuousClock.now - began)")
    }

    private static func isRunning(_ name: String) -> Bool {
        guard let bytes = FileIO.readFile("/sys/class/net/\(name)/operstate", limit: 64) else { return false }
        return String(decoding: bytes, as: UTF8.self).hasPrefix("up")
    }

    /// The interface whose address is `mac`, from /sys/class/net.
    private static func findInterface(mac: String) -> String? {
        interfaces().first { $0.mac == mac }?.name
    }

    private static func interfaces() -> [(name: String, mac: String)] {
        guard let dir = opendir("/sys/class/net") else { return [] }
        defer { closedir(dir) }
        var found: [(String, String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            guard let bytes = FileIO.readFile("/sys/class/net/\(name)/address", limit: 64) else { continue }
            let address = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }.lowercased()
            found.append((name, address))
        }
        return found.sorted { $0.0 < $1.0 }
    }

    /// Each file to GuestNetwork.etcDirectory, 0644, written whole then renamed into place.
    private static func write(_ files: [GuestEtcFile]) throws(AgentError) {
        guard !files.isEmpty else { return }
        let directory = GuestNetwork.etcDirectory
        do {
            try FileIO.makeDirectories(directory)
        } catch {
            throw logged("\(error)")
        }
        for file in files {
            let path = "\(directory)/\(file.name)"
            let temporary = "\(directory)/.\(file.name).new"
            let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard fd >= 0 else { throw logged("\(SystemError("creating \(temporary)"))") }
            var contents = file.contents
            let error = contents.withUTF8 { FileIO.writeAll(fd, UnsafeRawBufferPointer($0)) }
            fchmod(fd, 0o644)
            close(fd)
            if error != 0 {
                unlink(temporary)
                throw logged("\(SystemError("writing \(path)", code: error))")
            }
            guard rename(temporary, path) == 0 else {
                let failure = SystemError("renaming \(temporary) to \(path)")
                unlink(temporary)
                throw logged("\(failure)")
            }
        }
        Log.info("network: wrote \(files.map(\.name).joined(separator: ", ")) to \(directory)")
    }
}
