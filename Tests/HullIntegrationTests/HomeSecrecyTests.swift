import Foundation
import HullRuntime
import Testing

/// Issue 19: a container's secrets (-e, --env-file) and a registry login are nowhere an
/// unprivileged user can read them, and nothing under HULL_HOME or /run/hull can be read
/// or written by such a user, while guests boot, exec and logs work in every mode.
extension Integration {
    @Suite("HULL_HOME keeps secrets from other users", .serialized)
    struct HomeSecrecyTests {
        /// What `user` can see of `paths`: files naming any of `secrets`, and every entry
        /// it may read or write. Both must be empty.
        func exposure(as user: String, of paths: [String], secrets: [String]) throws -> String {
            let patterns = secrets.map { "-e '\($0)'" }.joined(separator: " ")
            let list = paths.map { "'\($0)'" }.joined(separator: " ")
            let script = "grep -rl \(patterns) \(list) 2>/dev/null; find \(list) \\( -readable -o -writable \\) -print 2>/dev/null; true"
            return try ExternalTool.run("su", [user, "-s", "/bin/sh", "-c", script])
        }

        @Test("-e, --env-file and hull login: nothing for nobody to read, in every isolation mode")
        func secretsStayRoots() throws {
            try RegistryFixture.requireTools()
            let d = try DaemonHarness()
            let work = try RegistryFixture.scratch("home-secrecy")
            defer { try? FileManager.default.removeItem(at: work) }

            // A registry login stored in this HULL_HOME.
            let htpasswd = work.appendingPathComponent("htpasswd")
            try Data(ExternalTool.run("htpasswd", ["-Bbn", "alice", "r3g-s3cr3t"]).utf8).write(to: htpasswd)
            let registry = try TestRegistry(in: work.appendingPathComponent("registry"), auth: .htpasswd(htpasswd))
            defer { registry.stop() }
            let login = try d.hull(["login", "-u", "alice", "--password-stdin", registry.host], stdin: Data("r3g-s3cr3t\n".utf8))
            #expect(login.status == 0, "\(login.err)")

            let envFile = work.appendingPathComponent("env")
            try "FILE_SECRET=f1le-s3cr3t\n".write(to: envFile, atomically: true, encoding: .utf8)
            var names: [String] = []
            for mode in IsolationMode.allCases {
                if let missing = IsolationDrivers.available().first(where: { $0.mode == mode })?.missing {
                    throw HullCLI.SetupMissing(what: ["--isolation \(mode.rawValue): \(missing)"])
                }
                let name = "secret-\(mode.rawValue)"
                names.append(name)
                let run = try d.hull(["run", "-d", "--name", name, "--isolation", mode.rawValue, "-e", "API_TOKEN=s3cr3t-value",
                                      "--env-file", envFile.path, "busybox", "sh", "-c", "echo started; sleep 600"])
                #expect(run.status == 0, "\(mode): \(run.err)\n\(d.logTail)")
                let exec = try d.hull(["exec", name, "sh", "-c", "echo $API_TOKEN $FILE_SECRET"])
                #expect(exec.out == "s3cr3t-value f1le-s3cr3t\n", "\(mode): \(exec.err)")
            }
            for name in names {
                let deadline = Date().addingTimeInterval(30)
                var logs = try d.hull(["logs", name])
                while !logs.out.contains("started"), Date() < deadline {
                    Thread.sleep(forTimeInterval: 0.2)
                    logs = try d.hull(["logs", name])
                }
                #expect(logs.out == "started\n", "\(name): \(logs.err)")
            }

            var paths = [d.home.path]
            if FileManager.default.fileExists(atPath: "/run/hull") { paths.append("/run/hull") }
            let secrets = ["s3cr3t-value", "f1le-s3cr3t", "r3g-s3cr3t"]
            let seen = try exposure(as: "nobody", of: paths, secrets: secrets)
            #expect(seen.isEmpty, "nobody can read or write under HULL_HOME:\n\(seen)")
            // QEMU's account reaches its guests' disks, not their specs or anyone's logs.
            let qemuSeen = try exposure(as: "libvirt-qemu", of: paths, secrets: secrets)
            #expect(!qemuSeen.contains("config.json") && !qemuSeen.contains("hulld.sqlite") && !qemuSeen.contains("auth.json")
                    && !qemuSeen.contains(".log") && !qemuSeen.contains("s3cr3t"), "libvirt-qemu sees:\n\(qemuSeen)")
            // In its own guest's run folder it may open the disk, not the spec or the socket.
            let info = try JSONSerialization.jsonObject(with: Data(try d.hull(["inspect", "secret-vm"]).out.utf8)) as? [[String: Any]]
            let vmID = try #require(info?.first?["id"] as? String)
            let run = d.home.appendingPathComponent("run/\(vmID.prefix(12))").path
            let probe = "for f in rootfs.qcow2 config.json image control.sock console.log; do if [ -r \(run)/$f ]; then echo \"$f readable\"; fi; done; if [ -w \(run)/rootfs.qcow2 ]; then echo qcow2 writable; fi"
            let qemuAccess = try ExternalTool.run("su", ["libvirt-qemu", "-s", "/bin/sh", "-c", probe])
            #expect(qemuAccess == "rootfs.qcow2 readable\nqcow2 writable\n", "libvirt-qemu in its guest's run folder:\n\(qemuAccess)")
            let doctor = try HullCLI.run(["doctor"], environment: d.environment)
            #expect(doctor.out.contains("nothing under \(d.home.path) is open to other users"), "\(doctor.out)")

            for name in names { #expect(try d.hull(["rm", "-f", name]).status == 0) }
        }
    }
}
