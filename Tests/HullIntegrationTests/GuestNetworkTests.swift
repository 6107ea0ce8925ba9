import Foundation
import Glibc
import HullProtocol
import HullRuntime
import Logging
import Testing

/// A vm guest's NIC, driven through ContainerRunner as `hull bench` does (no hulld): the
/// test plays the engine's network hub with a network namespace of its own holding one
/// end of a veth (10.199.N.1/24, a busybox httpd on it); the other end stays in the host
/// netns, with no address, and is the endpoint's host device. The guest fetches a file
/// from the httpd, and shows its /etc files, address, route and MTU.
///
/// Traffic stays inside that veth: the guest's only route leads to the test's namespace.
extension Integration {
    @Suite("a vm guest's network interface", .serialized)
    struct GuestNetworkTests {
        init() throws {
            try HullCLI.requireSetUp()
            try HullCLI.require(.vm)
        }

        static let pid = Int(getpid())
        /// 10.199.N.0/24, N from the pid (two runs at once would need two pids alike mod 200).
        static let subnet = 20 + pid % 200
        static let namespace = "hgn-\(pid)"
        static let hostDevice = "hgv\(pid % 1_000_000)"   // ≤ 15 bytes
        static let peerDevice = "hgp\(pid % 1_000_000)"
        static let mac = "02:48:47:4e:00:02"
        static let mtu = 1400

        /// What one container run printed, and how long it took to start.
        struct Outcome {
            var status: HullProtocol.ExitStatus?
            var error: (any Error)?
            var out: String
            var err: String
            var startup: Duration?
        }

        /// Runs `script` in a busybox vm container with `network`/`etcFiles`, its output
        /// captured in files.
        static func runContainer(_ script: String, network: NetworkEndpoint?, etcFiles: ContainerEtcFiles?) async throws -> Outcome {
            let paths = HullPaths()
            let logger = Logger(label: "guest-network-test")
            var options = RunOptions()
            options.isolation = .vm
            options.rootfs = .image("busybox")
            options.container.command = ["sh", "-c", script]
            options.network = network
            options.etcFiles = etcFiles
            let driver = try await IsolationDrivers.make(.vm, guest: options.guest, paths: paths, logger: logger)
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hull-guestnet-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            let outPath = scratch.appendingPathComponent("out").path
            let errPath = scratch.appendingPathComponent("err").path
            let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            defer { close(out); close(err) }
            let began = ContinuousClock.now
            let started = StartClock()
            var outcome = Outcome(out: "", err: "")
            do {
                outcome.status = try await ContainerRunner(paths: paths, logger: logger).run(
                    options, driver: driver, stdio: ProcessStdio(stdin: nil, stdout: out, stderr: err),
                    started: { _ in started.mark() })
            } catch {
                outcome.error = error
            }
            outcome.startup = started.at.map { $0 - began }
            outcome.out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            outcome.err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            return outcome
        }

        final class StartClock: @unchecked Sendable {
            private let lock = NSLock()
            private var instant: ContinuousClock.Instant?
            func mark() { lock.withLock { if instant == nil { instant = .now } } }
            var at: ContinuousClock.Instant? { lock.withLock { instant } }
        }

        /// `ip …` (or any tool) on the host; its output, or a thrown error with its stderr.
        @discardableResult
        static func sh(_ arguments: [String], check: Bool = true) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = arguments
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            p.standardInput = FileHandle.nullDevice
            try p.run()
            let output = out.fileHandleForReading.readDataToEndOfFile()
            let errors = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            if check && p.terminationStatus != 0 {
                throw HullCLI.SetupMissing(what: ["\(arguments.joined(separator: " ")) failed: \(String(decoding: errors, as: UTF8.self))"])
            }
            return String(decoding: output, as: UTF8.self)
        }

        /// Host interfaces whose name starts with "hgv" (ours) or that sit on our host device.
        static func leftoverLinks() -> [String] {
            let links = (try? sh(["ip", "-o", "link", "show"], check: false)) ?? ""
            return links.split(separator: "\n").map(String.init).filter {
                $0.contains(": hgv") || $0.contains("@\(hostDevice):")
            }
        }

        /// The test's hub: netns + veth, the peer in the netns with .1/24, the host end up
        /// with no address (IPv6 off, so it sends nothing of its own), httpd serving `dir`.
        final class TestNetwork {
            var httpd: Process?
            let dir: URL

            init(file contents: String) throws {
                dir = FileManager.default.temporaryDirectory.appendingPathComponent("hull-guestnet-www-\(pid)")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                try Data(contents.utf8).write(to: dir.appendingPathComponent("f"))
                do {
                    try sh(["ip", "netns", "add", namespace])
                    try sh(["ip", "link", "add", hostDevice, "type", "veth", "peer", "name", peerDevice, "netns", namespace])
                    try sh(["sysctl", "-qw", "net.ipv6.conf.\(hostDevice).disable_ipv6=1"])
                    try sh(["ip", "link", "set", hostDevice, "mtu", "\(mtu)", "up"])
                    try sh(["ip", "-n", namespace, "link", "set", "lo", "up"])
                    try sh(["ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.\(peerDevice).disable_ipv6=1"])
                    try sh(["ip", "-n", namespace, "addr", "add", "10.199.\(subnet).1/24", "dev", peerDevice])
                    try sh(["ip", "-n", namespace, "link", "set", peerDevice, "mtu", "\(mtu)", "up"])
                    let p = Process()
                    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    p.arguments = ["ip", "netns", "exec", namespace, "busybox", "httpd", "-f",
                                   "-p", "10.199.\(subnet).1:8080", "-h", dir.path]
                    p.standardInput = FileHandle.nullDevice
                    p.standardOutput = FileHandle.nullDevice
                    p.standardError = FileHandle.nullDevice
                    try p.run()
                    httpd = p
                    // Serving once the port is bound (checked from inside the netns only).
                    let deadline = ContinuousClock.now + .seconds(5)
                    while ContinuousClock.now < deadline {
                        let listening = (try? sh(["ip", "netns", "exec", namespace, "busybox", "netstat", "-ltn"], check: false)) ?? ""
                        if listening.contains("10.199.\(subnet).1:8080") { break }
                        usleep(50_000)
                    }
                } catch {
                    tearDown()
                    throw error
                }
            }

            func tearDown() {
                if let httpd, httpd.isRunning {
                    // SIGKILL: the test process's threads block SIGTERM, and a child
                    // spawned from one inherits that mask (measured: httpd ignored it).
                    kill(httpd.processIdentifier, SIGKILL)
                    httpd.waitUntilExit()
                }
                httpd = nil
                _ = try? sh(["ip", "netns", "del", namespace], check: false)
                // Deleting the netns deletes the pair, the host end a moment later.
                let deadline = ContinuousClock.now + .seconds(5)
                while ContinuousClock.now < deadline, !leftoverLinks().isEmpty { usleep(50_000) }
                _ = try? sh(["ip", "link", "del", hostDevice], check: false)
                try? FileManager.default.removeItem(at: dir)
            }
        }

        @Test("the guest's NIC: address, route, MTU, /etc files, and a fetch from a peer on the veth")
        func networked() async throws {
            #expect(Self.leftoverLinks().isEmpty, "before the test: \(Self.leftoverLinks())")
            let payload = "hello over virtio-net \(UUID().uuidString)"
            let net = try TestNetwork(file: payload)
            defer {
                net.tearDown()
                #expect(Self.leftoverLinks().isEmpty, "left behind: \(Self.leftoverLinks())")
                #expect(!((try? Self.sh(["ip", "netns", "list"])) ?? "").contains(Self.namespace))
            }
            let address = "10.199.\(Self.subnet).2"
            let gateway = "10.199.\(Self.subnet).1"
            let endpoint = NetworkEndpoint(network: "test", address: address, prefixLength: 24, gateway: gateway,
                                           mac: Self.mac, mtu: Self.mtu, hostDevice: Self.hostDevice)
            let hosts = "127.0.0.1\tlocalhost\n\(address)\tguestnet-test\n"
            let resolv = "nameserver \(gateway)\noptions ndots:0\n"
            // busybox 1.35's static wget crashes with -T (measured on the host too): timeout.
            let script = """
                timeout 30 wget -qO- http://\(gateway):8080/f; echo; echo "--hosts"; cat /etc/hosts; \
                echo "--resolv"; cat /etc/resolv.conf; echo "--addr"; ip addr; echo "--route"; ip route
                """
            let outcome = try await Self.runContainer(script, network: endpoint,
                                                      etcFiles: ContainerEtcFiles(hosts: hosts, resolvConf: resolv))
            print("guest with a NIC: start \(outcome.startup.map { "\($0)" } ?? "-"), output:\n\(outcome.out)\(outcome.err)")
            #expect(outcome.error == nil, "\(outcome.error.map { "\($0)" } ?? "")")
            #expect(outcome.status?.shellStatus == 0, "stderr: \(outcome.err)")
            let sections = Self.sections(outcome.out)
            #expect(sections["fetched"] == payload, "\(outcome.out)")
            #expect(sections["hosts"] == hosts.trimmingCharacters(in: .newlines))
            #expect(sections["resolv"] == resolv.trimmingCharacters(in: .newlines))
            let addr = sections["addr"] ?? ""
            #expect(addr.contains("inet \(address)/24"), "\(addr)")
            #expect(addr.contains("link/ether \(Self.mac)"), "\(addr)")
            #expect(addr.contains("mtu \(Self.mtu)"), "\(addr)")
            #expect(addr.contains("inet 127.0.0.1/8"), "lo is up: \(addr)")
            #expect(!addr.contains("inet6 fe80"), "IPv4 only on eth0: \(addr)")
            #expect(!addr.contains("NO-CARRIER"), "the link runs: \(addr)")
            let route = sections["route"] ?? ""
            #expect(route.contains("default via \(gateway) dev eth0"), "\(route)")
            #expect(route.contains("10.199.\(Self.subnet).0/24 dev eth0"), "\(route)")
            // libvirt removed its macvtap with the guest.
            #expect(!Self.leftoverLinks().contains { $0.contains("@\(Self.hostDevice)") }, "\(Self.leftoverLinks())")
        }

        @Test("without an endpoint the guest has loopback only, up")
        func loopbackOnly() async throws {
            let outcome = try await Self.runContainer("ip -o link; ip -o addr; ip route",
                                                      network: nil, etcFiles: nil)
            print("guest without a NIC: start \(outcome.startup.map { "\($0)" } ?? "-"), output:\n\(outcome.out)\(outcome.err)")
            #expect(outcome.error == nil, "\(outcome.error.map { "\($0)" } ?? "")")
            #expect(outcome.status?.shellStatus == 0, "stderr: \(outcome.err)")
            let links = outcome.out.split(separator: "\n").filter { $0.contains(": <") || $0.contains("link/") }
                .compactMap { $0.split(separator: ":").dropFirst().first?.trimmingCharacters(in: .whitespaces) }
            #expect(Set(links) == ["lo"], "\(outcome.out)")
            #expect(outcome.out.contains("inet 127.0.0.1/8"), "\(outcome.out)")
            #expect(!outcome.out.contains("default"), "\(outcome.out)")
        }

        @Test("a bad endpoint is refused before a guest boots, in words")
        func badEndpoint() async throws {
            let endpoint = NetworkEndpoint(network: "test", address: "10.199.\(Self.subnet).2", prefixLength: 24,
                                           gateway: "10.198.0.1", mac: "03:00:00:00:00:01", mtu: 1400,
                                           hostDevice: "hgv-this-name-is-too-long")
            let outcome = try await Self.runContainer("true", network: endpoint, etcFiles: nil)
            let message = outcome.error.map { "\($0)" } ?? ""
            print("bad endpoint: \(message)")
            #expect(outcome.status == nil)
            #expect(message.contains("gateway 10.198.0.1 is not in"), "\(message)")
            #expect(message.contains("MAC"), "\(message)")
        }

        @Test("a host device that does not exist fails the boot with libvirt's reason")
        func missingHostDevice() async throws {
            let endpoint = NetworkEndpoint(network: "test", address: "10.199.\(Self.subnet).2", prefixLength: 24,
                                           gateway: "10.199.\(Self.subnet).1", mac: Self.mac, mtu: 1500,
                                           hostDevice: "hgvnone\(Self.pid % 10000)")
            let outcome = try await Self.runContainer("true", network: endpoint, etcFiles: nil)
            let message = outcome.error.map { "\($0)" } ?? ""
            print("missing host device: \(message.split(separator: "\n").first ?? "")")
            #expect(outcome.status == nil)
            #expect(message.contains("hgvnone"), "\(message)")
            #expect(Self.leftoverLinks().isEmpty, "\(Self.leftoverLinks())")
        }

        /// The output split at "--NAME" lines; what precedes the first is "fetched".
        static func sections(_ text: String) -> [String: String] {
            var result: [String: String] = [:]
            var current = "fetched"
            var lines: [Substring] = []
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("--"), !line.contains(" ") {
                    result[current] = lines.joined(separator: "\n").trimmingCharacters(in: .newlines)
                    current = String(line.dropFirst(2))
                    lines = []
                } else {
                    lines.append(line)
                }
            }
            result[current] = lines.joined(separator: "\n").trimmingCharacters(in: .newlines)
            return result
        }
    }
}
