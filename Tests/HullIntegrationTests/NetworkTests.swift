import Foundation
import Glibc
import HullRuntime
import Testing

/// Container networking (issue 11) through hulld, once per isolation mode: published
/// ports answer on the host's loopback, the host's loopback is reached at
/// host.hull.internal only when asked for, `--egress deny` refuses that same connection,
/// `--network none` has only `lo`, and nothing of a container's network stays after `rm`
/// or after hulld's exit. Traffic goes only to 127.0.0.1 and to addresses inside the hub
/// that hulld made.
extension Integration {
    @Suite("networking: ports, host access, egress, none", .serialized)
    struct NetworkTests {
        init() throws {
            try HullCLI.requireSetUp()
            for tool in ["/usr/bin/curl", "/usr/bin/slirp4netns", "/usr/sbin/nft"] where !FileManager.default.isExecutableFile(atPath: tool) {
                throw HullCLI.SetupMissing(what: ["\(tool) missing: apt-get install curl slirp4netns nftables (scripts/setup.sh does)"])
            }
        }

        static func sh(_ command: String) -> (status: Int32, out: String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", command]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            p.standardInput = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return (-1, "") }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        /// A web server on the host's loopback, serving `text` at /f; killed when the test ends.
        /// (Started without pipes: a background child holding the test's pipe would keep
        /// its reader waiting for an end of file forever.)
        final class HostServer {
            let port: Int
            let process = Process()
            let folder: URL
            init(text: String) throws {
                folder = FileManager.default.temporaryDirectory.appendingPathComponent("hull-nt-\(UUID().uuidString.prefix(8))")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try Data(text.utf8).write(to: folder.appendingPathComponent("f"))
                port = Int.random(in: 20000...29999)
                process.executableURL = URL(fileURLWithPath: "/bin/busybox")
                process.arguments = ["httpd", "-f", "-p", "127.0.0.1:\(port)", "-h", folder.path]
                process.standardInput = FileHandle.nullDevice
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                Thread.sleep(forTimeInterval: 0.3)
            }
            deinit {
                Glibc.kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                try? FileManager.default.removeItem(at: folder)
            }
        }

        /// What of the host's network a hulld left: its hub, its container namespaces,
        /// its uplink, guests' host-side links.
        static func leftovers(of home: URL) -> [String] {
            let prefix = HullPaths(home: home).domainPrefix
            var found = ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).filter { $0.hasPrefix(prefix) }
            found += HostProcesses.all().filter { $0.commandLine.contains("slirp4netns") && $0.commandLine.contains(prefix) }
                .map { "slirp4netns pid \($0.pid)" }
            return found
        }

        static let fetchHost = #"printf 'GET /f HTTP/1.0\r\n\r\n' | timeout 10 nc host.hull.internal PORT"#

        @Test("published port, host access, egress deny, --network none, clean rm and exit", arguments: ["process", "gvisor", "vm"])
        func everyMode(_ mode: String) throws {
            try HullCLI.require(IsolationMode(rawValue: mode) ?? .vm)
            let linksBefore = Self.sh("ip -o link show | cut -d: -f2 | sort").out
            let server = try HostServer(text: "from-host-\(mode)")
            let d = try DaemonHarness()
            defer { d.terminate() }
            let fetch = Self.fetchHost.replacingOccurrences(of: "PORT", with: "\(server.port)")

            // A web server in the container, published on a free port of 127.0.0.1, that
            // may reach the host.
            let run = try d.hull(["run", "-d", "--name", "web", "--isolation", mode, "-p", "8080", "-p", "127.0.0.1::9",
                                  "--add-host", "host.hull.internal:host-gateway", "busybox", "sh", "-c",
                                  "mkdir -p /w && echo served-by-\(mode) > /w/i && exec httpd -f -p 8080 -h /w"])
            #expect(run.status == 0, "\(run.err)\n\(d.logTail)")
            let port = try d.hull(["port", "web", "8080"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(port.hasPrefix("127.0.0.1:"), "hull port: \(port)")
            var answer = ""
            for _ in 0..<40 where !answer.contains("served-by") {
                answer = Self.sh("curl -s -m 5 http://\(port)/i").out
                if !answer.contains("served-by") { Thread.sleep(forTimeInterval: 0.5) }
            }
            #expect(answer == "served-by-\(mode)\n", "curl \(port): \(answer)\n\(d.logTail)")
            // Nothing listens on the container's port 9: the connection is reset, at once.
            let closed = try d.hull(["port", "web", "9"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let reset = Self.sh("curl -s -m 5 http://\(closed)/ 2>&1; echo rc=$?").out
            #expect(reset.contains("rc=56") || reset.contains("rc=52"), "a closed container port: \(reset)")

            // inspect: the address, the ports, the policy.
            let inspect = try d.hull(["inspect", "web"]).out
            #expect(inspect.contains("\"address\" : \"10.89.0.") && inspect.contains("\"hostPort\"") && inspect.contains("\"egress\" : \"allow\""),
                    "\(inspect)")

            // The host's loopback, by the documented name, from inside the container.
            let reached = try d.hull(["exec", "web", "sh", "-c", fetch])
            #expect(reached.out.contains("from-host-\(mode)"), "host.hull.internal: \(reached.out) \(reached.err)")

            // --egress deny: the same connection is refused.
            let denied = try d.hull(["run", "--rm", "--isolation", mode, "--egress", "deny",
                                     "--add-host", "host.hull.internal:host-gateway", "busybox", "sh", "-c", fetch])
            #expect(!denied.out.contains("from-host") && denied.err.contains("refused"), "egress deny: \(denied.out) \(denied.err)")
            // Without --add-host …:host-gateway the host is closed.
            let closedHost = try d.hull(["run", "--rm", "--isolation", mode, "busybox", "sh", "-c",
                                         #"printf 'GET /f HTTP/1.0\r\n\r\n' | timeout 10 nc 10.89.0.1 \#(server.port)"#])
            #expect(!closedHost.out.contains("from-host"), "no opt-in: \(closedHost.out) \(closedHost.err)")

            // --network none: loopback only.
            let none = try d.hull(["run", "--rm", "--isolation", mode, "--network", "none", "busybox", "sh", "-c", "ls /sys/class/net"])
            #expect(none.status == 0 && none.out == "lo\n", "--network none: \(none.out) \(none.err)")

            // rm: its share goes at once; hulld's exit takes the hub and its uplink.
            #expect(try d.hull(["rm", "-f", "web"]).status == 0)
            #expect(Self.sh("curl -s -m 3 http://\(port)/i; echo rc=$?").out.contains("rc=7"), "the port is closed after rm")
            let hub = HullPaths(home: d.home).domainPrefix + "hub"
            let ports = Self.sh("ip -n \(hub) -o link show | grep -c 'h[cp]-'").out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(ports == "0", "hub links after rm: \(ports)")
            d.terminate()
            Thread.sleep(forTimeInterval: 1)
            #expect(Self.leftovers(of: d.home).isEmpty, "\(Self.leftovers(of: d.home))")
            #expect(Self.sh("ip -o link show | cut -d: -f2 | sort").out == linksBefore)
        }

        @Test("a vm container and a process container on the default network reach each other; hulld killed and restarted keeps the guest's port and leaves nothing of the others")
        func acrossModesAndRestart() throws {
            try HullCLI.require(.vm)
            try HullCLI.require(.process)
            let d = try DaemonHarness()
            defer { d.terminate() }
            #expect(try d.hull(["run", "-d", "--name", "guestweb", "--isolation", "vm", "-p", "8080", "busybox", "sh", "-c",
                                "mkdir -p /w && echo guest > /w/i && exec httpd -f -p 8080 -h /w"]).status == 0)
            #expect(try d.hull(["run", "-d", "--name", "procweb", "--isolation", "process", "busybox", "sh", "-c",
                                "mkdir -p /w && echo proc > /w/i && exec httpd -f -p 8080 -h /w"]).status == 0)
            func address(_ name: String) throws -> String {
                let text = try d.hull(["inspect", name]).out
                let match = text.range(of: #""address" : "[0-9.]+""#, options: .regularExpression).map { String(text[$0]) } ?? ""
                return match.split(separator: "\"").last.map(String.init) ?? ""
            }
            let guestIP = try address("guestweb"), procIP = try address("procweb")
            let get = #"printf 'GET /i HTTP/1.0\r\n\r\n' | timeout 10 nc ADDR 8080 | tail -1"#
            var fromProc = ""
            for _ in 0..<30 where !fromProc.contains("guest") {
                fromProc = try d.hull(["exec", "procweb", "sh", "-c", get.replacingOccurrences(of: "ADDR", with: guestIP)]).out
                if !fromProc.contains("guest") { Thread.sleep(forTimeInterval: 1) }
            }
            #expect(fromProc == "guest\n", "process → vm: \(fromProc)")
            let fromGuest = try d.hull(["exec", "guestweb", "sh", "-c", get.replacingOccurrences(of: "ADDR", with: procIP)]).out
            #expect(fromGuest == "proc\n", "vm → process: \(fromGuest)")

            let port = try d.hull(["port", "guestweb", "8080"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            d.kill9()
            try d.start()
            let ps = try d.hull(["ps", "-a"]).out
            #expect(ps.contains("guestweb") && ps.contains("Up"), "\(ps)")
            #expect(try d.hull(["port", "guestweb", "8080"]).out.trimmingCharacters(in: .whitespacesAndNewlines) == port)
            #expect(Self.sh("curl -s -m 5 http://\(port)/i").out == "guest\n", "the guest's port after hulld's restart")
            let prefix = HullPaths(home: d.home).domainPrefix
            let namespaces = Self.leftovers(of: d.home).filter { $0.hasPrefix(prefix + "c-") }
            #expect(namespaces.isEmpty, "the process container's namespace after the restart: \(namespaces)")
            #expect(try d.hull(["rm", "-f", "guestweb", "procweb"]).status == 0)
            d.terminate()
            Thread.sleep(forTimeInterval: 1)
            #expect(Self.leftovers(of: d.home).isEmpty, "\(Self.leftovers(of: d.home))")
        }

        @Test("-P publishes every EXPOSEd port of the image on 127.0.0.1; bad -p and --egress values are refused by flag")
        func publishAllAndRefusals() throws {
            try HullCLI.require(.process)
            let d = try DaemonHarness()
            defer { d.terminate() }
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("hull-expose-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: work) }
            let layout = work.appendingPathComponent("layout").path, bundle = work.appendingPathComponent("bundle").path
            let archive = work.appendingPathComponent("image.tar").path
            for step in ["umoci init --layout \(layout)", "umoci new --image \(layout):v1", "umoci unpack --image \(layout):v1 \(bundle)",
                         "cp -a \(HullPaths().builtinRootfs.path)/. \(bundle)/rootfs/", "umoci repack --image \(layout):v1 \(bundle)",
                         "umoci config --image \(layout):v1 --config.exposedports 8080/tcp --config.exposedports 9090",
                         "skopeo copy oci:\(layout):v1 docker-archive:\(archive):exposer:v1"] {
                let r = Self.sh(step)
                try #require(r.status == 0, "\(step): \(r.out)")
            }
            #expect(try d.hull(["image", "load", archive]).status == 0)
            let run = try d.hull(["run", "-d", "--name", "exp", "--isolation", "process", "-P", "exposer:v1", "sh", "-c",
                                  "mkdir -p /w && echo exposed > /w/i && exec httpd -f -p 8080 -h /w"])
            #expect(run.status == 0, "\(run.err)")
            let ports = try d.hull(["port", "exp"]).out
            #expect(ports.contains("8080/tcp -> 127.0.0.1:") && ports.contains("9090/tcp -> 127.0.0.1:"), "\(ports)")
            let p8080 = try d.hull(["port", "exp", "8080"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            var answer = ""
            for _ in 0..<20 where answer != "exposed\n" {
                answer = Self.sh("curl -s -m 5 http://\(p8080)/i").out
                if answer != "exposed\n" { Thread.sleep(forTimeInterval: 0.3) }
            }
            #expect(answer == "exposed\n")
            #expect(try d.hull(["rm", "-f", "exp"]).status == 0)

            let badPort = try d.hull(["run", "--rm", "-p", "80:99999", "busybox", "true"])
            #expect(badPort.status != 0 && badPort.err.contains("-p"), "\(badPort.err)")
            let badEgress = try d.hull(["run", "--rm", "--egress", "sometimes", "busybox", "true"])
            #expect(badEgress.status != 0 && badEgress.err.contains("--egress must be allow or deny"), "\(badEgress.err)")
            let noneWithPort = try d.hull(["run", "--rm", "--network", "none", "-p", "80", "busybox", "true"])
            #expect(noneWithPort.status != 0 && noneWithPort.err.contains("--network none"), "\(noneWithPort.err)")
            let unknown = try d.hull(["run", "--rm", "--network", "elsewhere", "busybox", "true"])
            #expect(unknown.status != 0 && unknown.err.contains("elsewhere"), "\(unknown.err)")
        }
    }
}
