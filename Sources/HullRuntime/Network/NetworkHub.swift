import Foundation
import Glibc
import HullModel
import Logging

/// The network namespace that holds every Hull network of one HULL_HOME (issue 11,
/// docs/networking.md): one bridge per network, the nftables ruleset (HubRuleset), and
/// `slirp4netns` as the uplink to the host's network (outbound connections become the host's
/// own sockets). The host itself gets no bridge, no address, no route, no sysctl and no
/// rule: only the host ends of vm guests' veths (no address), and the container network
/// namespaces under /run/netns.
///
/// Names: hub `hull-<6 hex>-hub`, container namespaces `hull-<6 hex>-c-<id12>` (the
/// prefix is HullPaths.domainPrefix: per HULL_HOME, so two hullds never meet), hub ports
/// `hc-<id12>` (runc/runsc) and `hp-<id12>` (vm; host end `hv-<id12>`).
public struct NetworkHub: Sendable {
    public let paths: HullPaths
    public let logger: Logger

    public init(paths: HullPaths, logger: Logger) {
        self.paths = paths
        self.logger = logger
    }

    public var namespace: String { paths.domainPrefix + "hub" }
    public var namespacePath: String { "/run/netns/" + namespace }
    var directory: URL { paths.home.appendingPathComponent("net") }

    public func containerNamespace(_ id: String) -> String { paths.domainPrefix + "c-" + String(id.prefix(12)) }
    public static func hubPort(_ id: String, mode: IsolationMode) -> String {
        (mode == .vm ? "hp-" : "hc-") + String(id.prefix(12))
    }
    public static func hostEnd(_ id: String) -> String { "hv-" + String(id.prefix(12)) }

    public var exists: Bool { FileManager.default.fileExists(atPath: namespacePath) }

    // MARK: the hub

    /// Makes the hub (or adopts the one an earlier hulld left: vm guests outlive hulld),
    /// its networks' bridges, and starts the uplink when it is not running.
    public func ensure(networks: [HubNetwork]) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if !exists {
            try await ip(["netns", "add", namespace])
            try await ip(["-n", namespace, "link", "set", "lo", "up"])
            // Bridged IPv4 goes through the hub's inet forward hook (isolation and
            // egress policy apply between members of one network too).
            try await inHub(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=1",
                             "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
            logger.info("network hub \(namespace) made")
        }
        for network in networks { try await ensureBridge(network) }
        if !uplinkRunning { try await startUplink() }
    }

    func ensureBridge(_ network: HubNetwork) async throws {
        let probe = try await ChildProcess.run(try Self.tool("ip"), ["-n", namespace, "link", "show", network.bridge])
        guard probe.status.code != 0 else { return }
        try await ip(["-n", namespace, "link", "add", network.bridge, "type", "bridge"])
        // A fixed MAC: a bridge otherwise takes a port's, and changes it as ports come
        // and go (members' ARP entries for the gateway then fail for a moment).
        try await ip(["-n", namespace, "link", "set", network.bridge, "address", Self.mac(for: network.subnet.gateway)])
        try await ip(["-n", namespace, "addr", "add", "\(network.subnet.gateway)/\(network.subnet.prefixLength)", "dev", network.bridge])
        try await ip(["-n", namespace, "link", "set", network.bridge, "up"])
    }

    /// The uplink's process: slirp4netns on the hub (its command line names the hub).
    var uplinkProcess: HostProcess? {
        HostProcesses.all().first { $0.commandLine.contains("slirp4netns") && $0.commandLine.contains(namespacePath) }
    }

    var uplinkRunning: Bool { uplinkProcess != nil }

    /// The uplink's subnet inside the hub: the hub is `.100`, libslirp's gateway `.2` (the
    /// host's loopback), its DNS forwarder `.3` (the host's resolvers).
    public static let uplinkSubnet = IPv4Subnet(base: IPv4Address(0x0A59_FF00), prefixLength: 24)  // 10.89.255.0/24
    /// libslirp's DNS forwarder, the name server of containers on the default network.
    public static var uplinkDNS: IPv4Address { uplinkSubnet.host(3) }
    public static var uplinkGateway: IPv4Address { uplinkSubnet.host(2) }

    /// slirp4netns (libslirp, Podman 4's rootless network) as the hub's uplink: the hub
    /// gets `hullup` with 10.89.255.100/24 and a default route, and what leaves through
    /// it becomes the host's own sockets. Its gateway, 10.89.255.2, is the host's loopback
    /// (libslirp's classic mapping): the hub's ruleset lets only members with
    /// `--add-host …:host-gateway` reach it (HubRuleset); `--enable-seccomp`: its system calls are filtered. Not
    /// `--enable-sandbox`: slirp4netns 1.2.0 pivots its root without making its mounts
    /// private first, and the unmount propagates to the host: every /run/netns bind mount
    /// was gone (measured). Started detached (`setsid -f`): it serves guests that
    /// outlive hulld; `teardown` ends it.
    ///
    /// Not pasta (docs/networking.md): Debian 12's pasta (2023-03-09) loses the server's
    /// FIN after the client half-closes (18 of 20 connections hung, measured), so
    /// `nc`-style clients never see the end of a reply; libslirp 4.7 gets it right (0 of 20).
    func startUplink() async throws {
        let slirp = try Self.tool("slirp4netns")
        let log = directory.appendingPathComponent("uplink.log")
        let arguments = ["-f", slirp, "--configure", "--mtu=65520", "--enable-seccomp", "--cidr=\(Self.uplinkSubnet)", "--netns-type=path", namespacePath, HubRuleset.uplink]
        let script = "exec setsid " + arguments.map { "'\($0)'" }.joined(separator: " ") + " >>'\(log.path)' 2>&1 </dev/null"
        let result = try await ChildProcess.run("/bin/sh", ["-c", script])
        guard result.status.code == 0 else { throw NetworkError.tool("setsid slirp4netns", result.output) }
        // --configure: the address and route are on hullup once the tap is up.
        for _ in 0..<100 {
            let shown = try? await ChildProcess.run(try Self.tool("ip"), ["-n", namespace, "-4", "-o", "addr", "show", HubRuleset.uplink])
            if let shown, shown.status.code == 0, shown.output.contains("inet ") { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        let tail = (try? String(contentsOf: log, encoding: .utf8)).map { String($0.suffix(800)) } ?? ""
        throw NetworkError.tool("slirp4netns on \(namespace)", "hullup got no address within 2 s. \(tail)")
    }

    /// Loads `ruleset` (HubRuleset.render) into the hub, replacing what was there.
    public func load(ruleset: String) async throws {
        let file = directory.appendingPathComponent("ruleset.nft")
        try Data(ruleset.utf8).write(to: file)
        try await inHub([try Self.tool("nft", package: "nftables"), "-f", file.path])
    }

    /// The host's own IPv4 addresses: a container must not reach the host's services
    /// through them (the uplink would connect from the host to the host).
    public static func hostAddresses() async -> [String] {
        guard let ip = try? tool("ip"),
              let result = try? await ChildProcess.run(ip, ["-4", "-o", "addr", "show"]) else { return [] }
        return result.output.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            guard let at = words.firstIndex(of: "inet"), at + 1 < words.count else { return nil }
            let address = String(words[at + 1].split(separator: "/")[0])
            return IPv4Address(address) != nil ? address : nil
        }
    }

    /// Removes the hub and everything in it: the uplink is ended, the veths of vm guests
    /// go with their hub ends, container namespaces are deleted.
    public func teardown() async {
        for name in Self.namespaces() where name.hasPrefix(paths.domainPrefix + "c-") {
            _ = try? await ip(["netns", "del", name])
        }
        if let uplink = uplinkProcess { kill(uplink.pid, SIGTERM) }
        if exists { _ = try? await ip(["netns", "del", namespace]) }
        logger.info("network hub \(namespace) removed")
    }

    /// Names under /run/netns.
    public static func namespaces() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
    }

    // MARK: containers

    /// Links container `id` into `network` at `address`: a namespace of its own with
    /// `eth0` (runc/runsc), or a veth whose host end the guest's NIC sits on (vm).
    /// Anything an earlier attach of the same id left is replaced.
    public func attach(id: String, mode: IsolationMode, network: HubNetwork, address: IPv4Address) async throws -> NetworkEndpoint {
        await detach(id: id)
        let mac = Self.mac(for: address)
        let port = Self.hubPort(id, mode: mode)
        var endpoint = NetworkEndpoint(network: network.name, address: address.description,
                                       prefixLength: network.subnet.prefixLength,
                                       gateway: network.subnet.gateway.description, mac: mac)
        if mode == .vm {
            let host = Self.hostEnd(id)
            try await ip(["link", "add", host, "type", "veth", "peer", "name", port, "netns", namespace])
            try await ip(["link", "set", host, "up"])
            endpoint.hostDevice = host
        } else {
            let inner = containerNamespace(id)
            try await ip(["netns", "add", inner])
            try await ip(["link", "add", port, "netns", namespace, "type", "veth", "peer", "name", "eth0", "netns", inner])
            try await ip(["-n", inner, "link", "set", "lo", "up"])
            try await ip(["-n", inner, "link", "set", "eth0", "address", mac])
            try await ip(["-n", inner, "addr", "add", "\(address)/\(network.subnet.prefixLength)", "dev", "eth0"])
            try await ip(["-n", inner, "link", "set", "eth0", "up"])
            try await ip(["-n", inner, "route", "add", "default", "via", network.subnet.gateway.description])
            endpoint.namespacePath = "/run/netns/" + inner
        }
        try await ip(["-n", namespace, "link", "set", port, "master", network.bridge, "up"])
        return endpoint
    }

    /// Removes container `id`'s share: its namespace (and so its veth), or a guest's veth.
    public func detach(id: String) async {
        let inner = containerNamespace(id)
        if FileManager.default.fileExists(atPath: "/run/netns/" + inner) {
            _ = try? await ip(["netns", "del", inner])
        }
        let host = Self.hostEnd(id)
        if FileManager.default.fileExists(atPath: "/sys/class/net/" + host) {
            _ = try? await ip(["link", "del", host])
        }
        // A hub end left without its peer (the peer's namespace went first): deleted
        // directly, a missing one is no error (one `ip` per name, not a look then a delete).
        if exists, let tool = try? Self.tool("ip") {
            for mode in [IsolationMode.process, .vm] {
                _ = try? await ChildProcess.run(tool, ["-n", namespace, "link", "del", Self.hubPort(id, mode: mode)])
            }
        }
    }

    /// The container links in the hub (`hc-…`/`hp-…` names, by their 12-character id).
    public func memberPorts() async -> [String] {
        guard exists, let ip = try? Self.tool("ip"),
              let result = try? await ChildProcess.run(ip, ["-n", namespace, "-o", "link", "show"]) else { return [] }
        return result.output.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            guard words.count > 1 else { return nil }
            let name = String(words[1].split(separator: "@")[0].split(separator: ":")[0])
            return name.hasPrefix("hc-") || name.hasPrefix("hp-") ? name : nil
        }
    }

    /// Bytes the container sent and received: its hub port's counters, mirrored (what the
    /// hub port receives, the container transmitted).
    public func counters(id: String, mode: IsolationMode) async -> (received: UInt64, transmitted: UInt64)? {
        guard let ip = try? Self.tool("ip"),
              let result = try? await ChildProcess.run(ip, ["-n", namespace, "-s", "-o", "link", "show", Self.hubPort(id, mode: mode)]),
              result.status.code == 0 else { return nil }
        return Self.parseCounters(result.output)
    }

    /// `ip -s -o link show` → (RX bytes, TX bytes) of the hub port, swapped to the
    /// container's view.
    static func parseCounters(_ text: String) -> (received: UInt64, transmitted: UInt64)? {
        let words = text.replacingOccurrences(of: "\\", with: " ").split(separator: " ").map(String.init)
        guard let rx = words.firstIndex(of: "RX:"), let tx = words.firstIndex(of: "TX:") else { return nil }
        // "RX:  bytes packets errors dropped missed mcast" then the numbers
        func firstNumber(after index: Int) -> UInt64? { words[(index + 1)...].lazy.compactMap { UInt64($0) }.first }
        guard let hubReceived = firstNumber(after: rx), let hubSent = firstNumber(after: tx) else { return nil }
        return (received: hubSent, transmitted: hubReceived)
    }

    // MARK: tools

    /// A locally administered MAC made from an IPv4 address (02:48:<address>), so a
    /// container's MAC is fixed by its address.
    public static func mac(for address: IPv4Address) -> String {
        let v = address.value
        return String(format: "02:48:%02x:%02x:%02x:%02x", v >> 24, v >> 16 & 0xff, v >> 8 & 0xff, v & 0xff)
    }

    func ip(_ arguments: [String]) async throws {
        let result = try await ChildProcess.run(try Self.tool("ip"), arguments)
        guard result.status.code == 0 else {
            throw NetworkError.tool("ip " + arguments.joined(separator: " "), result.output)
        }
    }

    /// Runs a command inside the hub (`ip netns exec`).
    func inHub(_ command: [String]) async throws {
        try await ip(["netns", "exec", namespace] + command)
    }

    static func tool(_ name: String, package: String? = nil) throws(NetworkError) -> String {
        for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"] {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw .missingTool(name, package: package ?? (name == "ip" ? "iproute2" : name))
    }
}

/// Why a network step failed.
public enum NetworkError: Error, CustomStringConvertible, Equatable {
    case missingTool(String, package: String)
    case tool(String, String)
    case exhausted(network: String, subnet: String)

    public var description: String {
        switch self {
        case .missingTool(let tool, let package):
            return "\(tool) is not installed: container networking needs it (apt-get install \(package), or scripts/setup.sh)"
        case .tool(let command, let output):
            return "\(command) failed: \(output.trimmingCharacters(in: .whitespacesAndNewlines).suffix(800))"
        case .exhausted(let network, let subnet):
            return "network \(network) (\(subnet)) has no free address left"
        }
    }
}
