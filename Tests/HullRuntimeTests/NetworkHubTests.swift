import Foundation
import HullModel
@testable import HullRuntime
import Logging
import Testing

/// The hub on the real kernel (root): namespaces, bridge, slirp4netns uplink, the nftables ruleset,
/// and a runc-style member. Traffic stays inside the namespaces the test makes.
@Suite(.serialized) struct NetworkHubTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("hull-hubtest-\(getpid())")

    func sh(_ command: String) async throws -> (code: Int32?, output: String) {
        let r = try await ChildProcess.run("/bin/sh", ["-c", command])
        return (r.status.code, r.output)
    }

    @Test func hubMemberRulesAndCleanup() async throws {
        let hub = NetworkHub(paths: HullPaths(home: home), logger: Logger(label: "test"))
        let network = HubNetwork.defaultNetwork
        defer { Task { await hub.teardown(); try? FileManager.default.removeItem(at: home) } }
        try await hub.ensure(networks: [network])
        #expect(hub.exists)
        #expect(hub.uplinkRunning)
        let a = network.subnet.host(2), b = network.subnet.host(3), c = network.subnet.host(4)
        var members: [HubMember] = []
        for (n, address) in [a, b, c].enumerated() {
            let id = String(format: "%012x", 0xabc000 + n)
            let endpoint = try await hub.attach(id: id, mode: .process, network: network, address: address)
            #expect(endpoint.namespacePath == "/run/netns/" + hub.containerNamespace(id))
            members.append(HubMember(id: id, network: network.name, address: address, mac: endpoint.mac,
                                     port: NetworkHub.hubPort(id, mode: .process),
                                     egress: n == 2 ? .deny : .allow, reachesHost: n == 1))
        }
        let hostAddresses = await NetworkHub.hostAddresses()
        try await hub.load(ruleset: HubRuleset.render(networks: [network], members: members, blocked: hostAddresses, hostLoopback: NetworkHub.uplinkGateway.description))
        let ns = members.map { hub.containerNamespace($0.id) }
        // a serves on 8080; b reaches it; c (egress deny) is refused.
        let server = try await sh("ip netns exec \(ns[0]) busybox nc -ll -p 8080 -e echo served >/dev/null 2>&1 & echo $!")
        defer { _ = kill(Int32(server.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, SIGKILL) }
        try await Task.sleep(for: .milliseconds(300))
        let fromB = try await sh("ip netns exec \(ns[1]) busybox nc -w 3 \(a) 8080 </dev/null")
        #expect(fromB.output.contains("served"), "b → a: \(fromB)")
        let fromC = try await sh("ip netns exec \(ns[2]) busybox nc -w 3 \(a) 8080 </dev/null 2>&1")
        #expect(!fromC.output.contains("served"), "c has --egress deny: \(fromC)")
        // The gateway answers pings but refuses other ports.
        let ping = try await sh("ip netns exec \(ns[1]) busybox ping -c1 -W2 \(network.subnet.gateway)")
        #expect(ping.code == 0, "\(ping)")
        let gatewayPort = try await sh("ip netns exec \(ns[1]) busybox nc -w 3 \(network.subnet.gateway) 22 </dev/null 2>&1")
        #expect(gatewayPort.code != 0)
        // Spoofing another address is dropped at the bridge.
        _ = try await sh("ip -n \(ns[1]) addr add \(network.subnet.host(9))/24 dev eth0")
        let spoofed = try await sh("ip netns exec \(ns[1]) busybox nc -w 2 -s \(network.subnet.host(9)) \(a) 8080 </dev/null 2>&1")
        #expect(!spoofed.output.contains("served"), "spoofed source: \(spoofed)")
        // Outbound through the uplink to a server in a namespace this test made, reached
        // from the host over a veth: the reply arrives whole after a half-close, 10 times
        // (Debian 12's pasta lost the server's FIN here: docs/networking.md).
        let up = "hht-up-\(getpid())", upHost = "hhtu\(getpid() % 100000)"
        defer { Task { _ = try? await sh("ip netns del \(up); ip link del \(upHost) 2>/dev/null") } }
        _ = try await sh("ip netns add \(up) && ip link add \(upHost) type veth peer name up0 netns \(up) && ip addr add 10.124.0.1/24 dev \(upHost) && ip link set \(upHost) up && ip -n \(up) addr add 10.124.0.2/24 dev up0 && ip -n \(up) link set up0 up && ip -n \(up) link set lo up")
        let upstream = try await sh("ip netns exec \(up) busybox nc -ll -p 8081 -e echo upstream >/dev/null 2>&1 & echo $!")
        defer { _ = kill(Int32(upstream.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, SIGKILL) }
        try await Task.sleep(for: .milliseconds(300))
        for _ in 0..<10 {
            let out = try await sh("echo hi | timeout 5 ip netns exec \(ns[1]) busybox nc 10.124.0.2 8081")
            #expect(out.code == 0 && out.output.contains("upstream"), "outbound: \(out)")
        }
        let denied = try await sh("echo hi | timeout 5 ip netns exec \(ns[2]) busybox nc 10.124.0.2 8081 2>&1")
        #expect(!denied.output.contains("upstream") && denied.output.contains("refused"), "egress deny: \(denied)")
        // The host's loopback, at the gateway: only for the member that asked (b).
        let site = home.appendingPathComponent("site")
        try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
        try Data("on-host-loopback".utf8).write(to: site.appendingPathComponent("f"))
        let port = 20000 + Int(getpid() % 20000)
        let web = try await sh("busybox httpd -f -p 127.0.0.1:\(port) -h \(site.path) >/dev/null 2>&1 & echo $!")
        defer { _ = kill(Int32(web.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, SIGKILL) }
        try await Task.sleep(for: .milliseconds(300))
        let get = "printf 'GET /f HTTP/1.0\\r\\n\\r\\n' | timeout 5 ip netns exec"
        let viaGateway = try await sh("\(get) \(ns[1]) busybox nc \(network.subnet.gateway) \(port)")
        #expect(viaGateway.output.contains("on-host-loopback"), "b reaches the host: \(viaGateway)")
        let notAsked = try await sh("\(get) \(ns[0]) busybox nc \(network.subnet.gateway) \(port) 2>&1")
        #expect(!notAsked.output.contains("on-host-loopback"), "a did not ask: \(notAsked)")
        let direct = try await sh("\(get) \(ns[0]) busybox nc \(NetworkHub.uplinkGateway) \(port) 2>&1")
        #expect(!direct.output.contains("on-host-loopback"), "a, straight at the uplink's gateway: \(direct)")
        // Counters move.
        let counters = await hub.counters(id: members[1].id, mode: .process)
        #expect((counters?.transmitted ?? 0) > 0 && (counters?.received ?? 0) > 0, "\(String(describing: counters))")
        // Detach and teardown leave the host as it was.
        await hub.detach(id: members[0].id)
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/" + ns[0]))
        _ = kill(Int32(upstream.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, SIGKILL)
        _ = try await sh("ip netns del \(up); ip link del \(upHost) 2>/dev/null")
        await hub.teardown()
        try await Task.sleep(for: .milliseconds(1500))
        #expect(!hub.exists)
        #expect(NetworkHub.namespaces().filter { $0.hasPrefix(hub.paths.domainPrefix) }.isEmpty)
        // Nothing of this test's on the host (other suites may add and remove their own
        // links meanwhile, so the host's whole list is not compared).
        let hostLinks = try await sh("ip -o link show | cut -d: -f2").output
        #expect(!hostLinks.contains(upHost) && !hostLinks.contains("000000abc"), "\(hostLinks)")
        #expect(!hub.uplinkRunning, "the uplink ends with its hub")
    }

    @Test func countersParse() {
        let text = "5: hc-x@if2: <BROADCAST> mtu 1500 \\    link/ether 02:48:0a:59:00:02 brd ff:ff:ff:ff:ff:ff link-netns c\\    RX:  bytes packets errors dropped  missed   mcast           \\    1234      10      0       0       0       0 \\    TX:  bytes packets errors dropped carrier collsns           \\    5678      12      0       0       0       0 "
        let parsed = NetworkHub.parseCounters(text)
        #expect(parsed?.transmitted == 1234)
        #expect(parsed?.received == 5678)
    }
}
