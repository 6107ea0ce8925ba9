import Foundation
import HullModel
@testable import HullRuntime
import Testing

/// The network vocabulary: `-p`, `--add-host`, the spec's rules, and the hub's ruleset text.
struct NetworkModelTests {
    @Test(arguments: [
        ("80", PortSpec(containerPort: 80)),
        ("8080:80", PortSpec(hostPort: 8080, containerPort: 80)),
        ("0.0.0.0:8080:80/udp", PortSpec(hostAddress: "0.0.0.0", hostPort: 8080, containerPort: 80, proto: "udp")),
        ("127.0.0.2::53/UDP", PortSpec(hostAddress: "127.0.0.2", containerPort: 53, proto: "udp")),
    ])
    func portParses(_ text: String, _ expected: PortSpec) throws {
        #expect(try PortSpec.parse(text) == expected)
    }

    @Test(arguments: ["", "x", "80/sctp", "70000", "1:2:3:4", "localhost:80:80", "8080:0", "-1", "80:", "999999999999999999999"])
    func portRefused(_ text: String) {
        #expect(throws: InputError.self) { try PortSpec.parse(text) }
    }

    @Test func portDefaultsAndWire() throws {
        let decoded = try JSONDecoder().decode(PortSpec.self, from: Data(#"{"containerPort": 80}"#.utf8))
        #expect(decoded == PortSpec(hostAddress: "127.0.0.1", hostPort: nil, containerPort: 80, proto: "tcp"))
        let encoded = String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self)
        #expect(encoded.contains("\"protocol\":\"tcp\""))
        #expect(PortSpec(containerPort: 80).describe(boundPort: 32768) == "127.0.0.1:32768->80/tcp")
    }

    @Test func hostEntries() throws {
        #expect(try HostEntry.parse("db:10.0.0.5") == HostEntry(name: "db", address: "10.0.0.5"))
        #expect(try HostEntry.parse("host.hull.internal:host-gateway").address == NetworkSpec.hostGateway)
        for bad in ["nohost", "a b:1.2.3.4", ":1.2.3.4", "x:300.1.1.1", "x:somewhere"] {
            #expect(throws: InputError.self) { try HostEntry.parse(bad) }
        }
    }

    @Test func specRules() throws {
        try NetworkSpec(publish: [PortSpec(containerPort: 80)]).validate()
        #expect(throws: InputError.self) { try NetworkSpec(network: "none", publish: [PortSpec(containerPort: 80)]).validate() }
        #expect(throws: InputError.self) { try NetworkSpec(network: "other").validate() }
        let twice = [PortSpec(hostPort: 8080, containerPort: 80), PortSpec(hostPort: 8080, containerPort: 81)]
        try NetworkSpec(publish: twice).validate()
        #expect(throws: InputError.self) { try NetworkSpec(publish: twice).checkConsistency() }
        let many = (1...(InputLimits.maxPublishedPorts + 1)).map { PortSpec(containerPort: $0) }
        #expect(throws: InputError.self) { try NetworkSpec(publish: many).validate() }
        #expect(NetworkSpec(extraHosts: [HostEntry(name: "h", address: "host-gateway")]).reachesHost)
    }

    @Test func addresses() {
        #expect(IPv4Address("10.89.0.7")?.description == "10.89.0.7")
        for bad in ["10.89.0", "10.89.0.256", "1.2.3.4.5", "01234.1.1.1", "a.b.c.d", ""] { #expect(IPv4Address(bad) == nil) }
        let subnet = IPv4Subnet("10.89.0.9/24")
        #expect(subnet?.description == "10.89.0.0/24")
        #expect(subnet?.gateway.description == "10.89.0.1")
        #expect(subnet?.contains(IPv4Address("10.89.0.200")!) == true)
        #expect(subnet?.contains(IPv4Address("10.89.1.2")!) == false)
        #expect(NetworkHub.mac(for: IPv4Address("10.89.0.2")!) == "02:48:0a:59:00:02")
    }

    @Test func rulesetNamesEveryMemberAndPolicy() {
        let network = HubNetwork.defaultNetwork
        let members = [
            HubMember(id: "a", network: "default", address: network.subnet.host(2), mac: "02:48:0a:59:00:02", port: "hc-a",
                      egress: .deny, reachesHost: true),
            HubMember(id: "b", network: "default", address: network.subnet.host(3), mac: "02:48:0a:59:00:03", port: "hp-b",
                      egress: .allow, reachesHost: true),
        ]
        let text = HubRuleset.render(networks: [network], members: members, blocked: ["192.0.2.2"], hostLoopback: "10.89.255.2")
        #expect(text.hasPrefix("flush ruleset\n"))
        #expect(text.contains("set denied { type ipv4_addr; elements = { 10.89.0.2 } }"))
        // A denied member never gets host access, even when it asked.
        #expect(text.contains("set hostaccess { type ipv4_addr; elements = { 10.89.0.3 } }"))
        #expect(text.contains("192.0.2.2, 10.89.255.2 }"))
        #expect(text.contains("iifname \"hp-b\" ip saddr != 10.89.0.3 drop") || text.contains("iifname \"hp-b\" ether type ip ip saddr != 10.89.0.3 drop"))
        #expect(text.contains("policy drop"))
    }
}
