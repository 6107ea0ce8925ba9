import Foundation
import Glibc
import Testing

extension Integration {
    /// The flags a Docker user types, each checked inside a real guest.
    @Suite("hull run flags inside the container", .serialized)
    struct ContainerFlagTests {
        init() throws {
            try HullCLI.requireSetUp()
        }

        func run(_ args: [String]) throws -> HullCLI.Result {
            try HullCLI.run(["run", "--rm"] + args)
        }

        @Test("the container's process is PID 1 of its own namespace, with Docker's confinement")
        func pidOneAndConfinement() throws {
            let r = try run(["busybox", "sh", "-c",
                             "echo pid=$$; grep -E '^(CapBnd|CapEff|NoNewPrivs)' /proc/self/status; head -c 16 /proc/kcore | wc -c; touch /proc/sys/kernel/x 2>&1 || echo sys-ro"])
            #expect(r.status == 0, "stderr: \(r.err)")
            #expect(r.out.contains("pid=1\n"))
            #expect(r.out.contains("CapBnd:\t00000000a80425fb"))
            #expect(r.out.contains("CapEff:\t00000000a80425fb"))
            #expect(r.out.contains("NoNewPrivs:\t0"))
            #expect(r.out.contains("\n0\n"), "/proc/kcore is masked: \(r.out)")
            #expect(r.out.contains("sys-ro"))
        }

        @Test("--security-opt no-new-privileges")
        func noNewPrivileges() throws {
            let r = try run(["--security-opt", "no-new-privileges", "busybox", "grep", "NoNewPrivs", "/proc/self/status"])
            #expect(r.out.contains("NoNewPrivs:\t1"), "stderr: \(r.err)")
        }

        @Test("-u by name, by uid:gid, and an unknown user")
        func user() throws {
            let byName = try run(["-u", "nobody", "busybox", "id"])
            #expect(byName.status == 0, "stderr: \(byName.err)")
            #expect(byName.out.hasPrefix("uid=65534(nobody) gid=65534"))
            let numeric = try run(["-u", "1234:4321", "busybox", "sh", "-c", "id -u; id -g"])
            #expect(numeric.out == "1234\n4321\n", "stderr: \(numeric.err)")
            let unknown = try run(["-u", "nobody2", "busybox", "true"])
            #expect(unknown.status != 0)
            #expect(unknown.err.contains("unable to find user nobody2"))
        }

        @Test("--entrypoint replaces the image's entrypoint")
        func entrypoint() throws {
            let r = try run(["--entrypoint", "/bin/echo", "busybox", "via", "entrypoint"])
            #expect(r.out == "via entrypoint\n", "stderr: \(r.err)")
        }

        @Test("--env-file and -e, later wins")
        func envFile() throws {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("env-\(UUID().uuidString)")
            try Data("# comment\nFROM_FILE=one\nBOTH=file\n\n".utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let r = try run(["--env-file", file.path, "-e", "BOTH=flag", "busybox", "sh", "-c", "echo $FROM_FILE-$BOTH"])
            #expect(r.out == "one-flag\n", "stderr: \(r.err)")
        }

        @Test("--read-only root with a writable --tmpfs")
        func readOnlyAndTmpfs() throws {
            let r = try run(["--read-only", "--tmpfs", "/scratch:size=8m", "busybox", "sh", "-c",
                             "touch /x 2>/dev/null && echo root-writable || echo root-ro; echo ok > /scratch/f && cat /scratch/f; grep ' /scratch ' /proc/mounts"])
            #expect(r.status == 0, "stderr: \(r.err)")
            #expect(r.out.contains("root-ro"))
            #expect(r.out.contains("ok\n"))
            #expect(r.out.contains("tmpfs /scratch tmpfs"))
        }

        @Test("--cpus and --memory size the guest")
        func resources() throws {
            let r = try run(["--cpus", "2", "--memory", "512m", "busybox", "sh", "-c", "nproc; grep MemTotal /proc/meminfo"])
            #expect(r.status == 0, "stderr: \(r.err)")
            let lines = r.out.split(separator: "\n")
            #expect(lines.first == "2")
            let kib = Int(lines.last?.split(separator: " ").dropFirst().first ?? "") ?? 0
            #expect(kib > 480 * 1024, "MemTotal \(kib) kB")
        }

        @Test("--name names the guest; -w creates a missing working directory")
        func nameAndWorkdir() throws {
            let name = "flagtest-\(UInt32.random(in: 0...UInt32.max))"
            let r = try run(["--name", name, "-w", "/made/here", "busybox", "sh", "-c", "pwd"])
            #expect(r.out == "/made/here\n", "stderr: \(r.err)")
            #expect(try !HullCLI.hullDomains().contains(HullCLI.domain(name)))
        }

        @Test("SIGTERM reaches a process that handles it")
        func signalHandled() throws {
            let r = try HullCLI.runSignalled(["run", "--rm", "busybox", "sh", "-c", "trap 'echo got-term; exit 7' TERM; echo ready; while true; do sleep 1; done"],
                                             signal: SIGTERM, afterOutput: "ready")
            #expect(r.out.contains("got-term"), "stderr: \(r.err)")
            #expect(r.status == 7)
        }

        @Test("a process ignoring SIGTERM is killed after --stop-timeout; hull exits 143")
        func signalIgnored() throws {
            let r = try HullCLI.runSignalled(["run", "--rm", "--stop-timeout", "2", "busybox", "sh", "-c", "echo ready; sleep 1000"],
                                             signal: SIGTERM, afterOutput: "ready")
            #expect(r.status == 143, "stderr: \(r.err)")
        }

        @Test("SIGINT without a terminal: 130 after the grace period")
        func interrupt() throws {
            let r = try HullCLI.runSignalled(["run", "--rm", "--stop-timeout", "1", "busybox", "sh", "-c", "echo ready; sleep 1000"],
                                             signal: SIGINT, afterOutput: "ready")
            #expect(r.status == 130, "stderr: \(r.err)")
        }
    }
}
