import HullProtocol
import Testing

@Suite("Guest network configuration")
struct GuestNetworkTests {
    static let good = GuestInterface(mac: "02:48:55:4c:00:02", address: "10.89.0.2", prefixLength: 24,
                                     gateway: "10.89.0.1", mtu: 1500)

    @Test("a good configuration has no problems and survives the wire")
    func good() throws {
        let network = GuestNetwork(interface: Self.good, etcFiles: [GuestEtcFile(name: "hosts", contents: "127.0.0.1 localhost\n"),
                                                                    GuestEtcFile(name: "resolv.conf", contents: "nameserver 10.89.0.1\n")])
        #expect(network.problems().isEmpty)
        let spec = ProcessSpec(argv: ["true"], network: network)
        let decoded = try MessageCoding.decodeRequest(MessageCoding.encode(.start(spec)))
        #expect(decoded == .start(spec))
        #expect(GuestNetwork().problems().isEmpty, "loopback only, no files")
    }

    @Test("an older host's start (no network key) decodes with none")
    func absentKey() throws {
        let request = try MessageCoding.decodeRequest(Array(#"{"method":"start","params":{"argv":["true"],"env":[],"cwd":"/","stdin":false,"terminal":false}}"#.utf8))
        guard case .start(let spec) = request else { Issue.record("\(request)"); return }
        #expect(spec.network == nil)
    }

    @Test("strict dotted quads", arguments: ["", "10.0.0", "10.0.0.0.1", "10.0.0.256", "010.0.0.1", "10.0.0.-1",
                                             "10.0.0.+1", "10..0.1", " 10.0.0.1", "10.0.0.1 ", "a.b.c.d", "1e1.0.0.1", "١.0.0.1"])
    func badAddresses(_ text: String) {
        #expect(GuestInterface.ipv4(text) == nil)
        var interface = Self.good
        interface.address = text
        #expect(!interface.problems().isEmpty)
    }

    @Test("dotted quads parse to host order")
    func parses() {
        #expect(GuestInterface.ipv4("10.89.0.2") == 0x0A59_0002)
        #expect(GuestInterface.ipv4("0.0.0.0") == 0)
        #expect(GuestInterface.ipv4("255.255.255.255") == .max)
        #expect(GuestInterface.netmask(prefixLength: 24) == 0xFFFF_FF00)
        #expect(GuestInterface.netmask(prefixLength: 1) == 0x8000_0000)
    }

    @Test("each interface problem is named")
    func interfaceProblems() {
        func problems(_ change: (inout GuestInterface) -> Void) -> [String] {
            var interface = Self.good
            change(&interface)
            return interface.problems()
        }
        #expect(problems { $0.mac = "03:00:00:00:00:01" }.first?.contains("MAC") == true, "multicast")
        #expect(problems { $0.mac = "00:00:00:00:00:00" }.count == 1)
        #expect(problems { $0.mac = "02:00:00:00:00:0x" }.count == 1)
        #expect(problems { $0.mac = "02:00:00:00:00:+1" }.count == 1)
        #expect(problems { $0.gateway = "10.90.0.1" }.first?.contains("not in 10.89.0.2/24") == true)
        #expect(problems { $0.gateway = "10.89.0.2" }.first?.contains("the gateway's") == true)
        #expect(problems { $0.address = "10.89.0.255" }.first?.contains("broadcast") == true)
        #expect(problems { $0.address = "10.89.0.0" }.first?.contains("broadcast") == true)
        #expect(problems { $0.prefixLength = 0 }.count == 1)
        #expect(problems { $0.prefixLength = 31 }.count == 1)
        #expect(problems { $0.mtu = 67 }.first?.contains("MTU") == true)
        #expect(problems { $0.mtu = 65536 }.count == 1)
        #expect(problems { $0.mtu = 9000 }.isEmpty)
    }

    @Test("files: plain names, bounded sizes, no NUL, no repeats, bounded count")
    func fileProblems() {
        func problems(_ files: [GuestEtcFile]) -> [String] { GuestNetwork(etcFiles: files).problems() }
        for name in ["", ".hosts", "../hosts", "a/b", "hosts\n", String(repeating: "h", count: 65), "ho sts"] {
            #expect(problems([GuestEtcFile(name: name, contents: "")]).count == 1, "\(name.debugDescription)")
        }
        #expect(problems([GuestEtcFile(name: "hosts", contents: String(repeating: "x", count: GuestNetwork.maxFileBytes))]).isEmpty)
        #expect(problems([GuestEtcFile(name: "hosts", contents: String(repeating: "x", count: GuestNetwork.maxFileBytes + 1))]).count == 1)
        #expect(problems([GuestEtcFile(name: "hosts", contents: "a\u{0}b")]).count == 1)
        #expect(problems([GuestEtcFile(name: "hosts", contents: ""), GuestEtcFile(name: "hosts", contents: "")]).count == 1)
        let many = (0...GuestNetwork.maxFiles).map { GuestEtcFile(name: "f\($0)", contents: "") }
        #expect(problems(many).count == 1)
    }
}
