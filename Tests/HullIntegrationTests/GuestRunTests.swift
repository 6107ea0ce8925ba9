import Foundation
import HullRuntime
import Testing

/// `hull run` against real libvirt and real QEMU guests (TCG on hosts without usable KVM).
/// Serialized: every test boots a guest, and parallel TCG guests on a small host only
/// make each other slow.
extension Integration {
    @Suite("hull run boots a real guest", .serialized)
    struct GuestRunTests {
        init() throws {
            try HullCLI.requireSetUp()
        }
    
        @Test("echo prints from inside the guest")
        func echo() throws {
            let r = try HullCLI.run(["run", "--rm", "busybox", "echo", "hello", "from", "a", "guest"])
            #expect(r.status == 0, "stderr: \(r.err)")
            #expect(r.out == "hello from a guest\n")
        }
    
        @Test("the guest runs its own kernel, not the host's")
        func ownKernel() throws {
            let r = try HullCLI.run(["run", "--rm", "busybox", "uname", "-r"])
            #expect(r.status == 0, "stderr: \(r.err)")
            let hostKernel = try String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)
            #expect(!r.out.isEmpty)
            #expect(r.out != hostKernel)
            #expect(r.out.contains("cloud-amd64"))
        }
    
        @Test("exit status: zero and non-zero", arguments: [0, 1, 3, 42])
        func exitStatus(code: Int) throws {
            let r = try HullCLI.run(["run", "--rm", "busybox", "sh", "-c", "exit \(code)"])
            #expect(r.status == Int32(code), "stderr: \(r.err)")
        }
    
        @Test("the container's init cannot be killed from inside its namespace, as under Docker")
        func initIgnoresKillFromInside() throws {
            // The kernel ignores signals to a pid-namespace init from inside it, SIGKILL included.
            let r = try HullCLI.run(["run", "--rm", "busybox", "sh", "-c", "kill -9 $$; echo survived"])
            #expect(r.status == 0, "stderr: \(r.err)")
            #expect(r.out == "survived\n")
        }

        @Test("a process killed by a signal gives 128+N")
        func killedBySignal() throws {
            let r = try HullCLI.run(["run", "--rm", "busybox", "sh", "-c", "sleep 100 & kill -9 $!; wait $!"])
            #expect(r.status == 137, "stderr: \(r.err)")
        }

        @Test("stderr stays apart from stdout")
        func separateStreams() throws {
            let r = try HullCLI.run(["run", "--rm", "busybox", "sh", "-c", "echo out1; echo err1 >&2; echo out2; echo err2 >&2"])
            #expect(r.status == 0)
            #expect(r.out == "out1\nout2\n")
            #expect(r.err == "err1\nerr2\n")
        }
    
        @Test("64 MiB of output arrives intact")
        func largeOutput() throws {
            let size = 64 << 20
            let r = try HullCLI.run(["run", "--rm", "busybox", "sh", "-c", "seq 1 20000000 | head -c \(size)"])
            #expect(r.status == 0, "stderr: \(r.err)")
            #expect(r.stdout.count == size)
            // The same bytes made on the host: seq's output format is fixed.
            var expected = Data()
            expected.reserveCapacity(size)
            var n = 1
            while expected.count < size {
                expected.append(contentsOf: Array("\(n)\n".utf8))
                n += 1
            }
            expected = expected.prefix(size)
            #expect(try sha256Hex(r.stdout) == sha256Hex(expected))
        }
    
        @Test("stdin piped in with -i arrives intact")
        func stdinIntact() throws {
            var rng = SystemRandomNumberGenerator()
            let input = Data((0..<(16 << 20)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            let r = try HullCLI.run(["run", "--rm", "-i", "busybox", "sha256sum"], stdin: input)
            #expect(r.status == 0, "stderr: \(r.err)")
            #expect(r.out.hasPrefix(try sha256Hex(input)))
        }
    
        @Test("without -i the command's stdin is empty")
        func noStdinWithoutI() throws {
            let r = try HullCLI.run(["run", "--rm", "busybox", "wc", "-c"], stdin: Data("ignored".utf8))
            #expect(r.status == 0)
            #expect(r.out.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        }
    
        @Test("environment, working directory and hostname reach the process")
        func envCwdHostname() throws {
            let r = try HullCLI.run(["run", "--rm", "-e", "GREETING=hi there", "-w", "/tmp", "--hostname", "box1",
                                     "busybox", "sh", "-c", "echo \"$GREETING|$(pwd)|$(hostname)\""])
            #expect(r.status == 0, "stderr: \(r.err)")
            #expect(r.out == "hi there|/tmp|box1\n")
        }
    
        @Test("a missing command exits 127 with a clear message")
        func missingCommand() throws {
            let r = try HullCLI.run(["run", "--rm", "busybox", "/no/such/program"])
            #expect(r.status == 127)
            #expect(r.err.contains("/no/such/program"))
        }
    
        @Test("the guest and its files are gone afterwards")
        func nothingLeftBehind() throws {
            let name = "leftover-check-\(UInt32.random(in: 0...UInt32.max))"
            let dirsBefore = HullCLI.runDirectories()
            let r = try HullCLI.run(["run", "--rm", "--name", name, "busybox", "sh", "-c", "echo data > /written; cat /written"])
            #expect(r.out == "data\n")
            #expect(try !HullCLI.hullDomains().contains(HullCLI.domain(name)))
            #expect(HullCLI.runDirectories().subtracting(dirsBefore).isEmpty)
            // The write went to a throwaway overlay: the next container does not see it.
            let again = try HullCLI.run(["run", "--rm", "busybox", "sh", "-c", "test -e /written && echo leaked || echo clean"])
            #expect(again.out == "clean\n")
        }
    
        @Test("a rootfs directory given with --rootfs is used")
        func rootfsDirectory() throws {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hull-rootfs-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            try FileManager.default.copyItem(at: HullPaths().builtinRootfs, to: dir)
            try Data("marker-\(dir.lastPathComponent)\n".utf8).write(to: dir.appendingPathComponent("marker"))
            let r = try HullCLI.run(["run", "--rm", "--rootfs", dir.path, "cat", "/marker"])
            #expect(r.status == 0, "stderr: \(r.err)")
            #expect(r.out == "marker-\(dir.lastPathComponent)\n")
    
            let tar = dir.appendingPathExtension("tar")
            defer { try? FileManager.default.removeItem(at: tar) }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
            p.arguments = ["-cf", tar.path, "-C", dir.path, "."]
            try p.run()
            p.waitUntilExit()
            let t = try HullCLI.run(["run", "--rm", "--rootfs", tar.path, "cat", "/marker"])
            #expect(t.status == 0, "stderr: \(t.err)")
            #expect(t.out == r.out)
        }
    
        @Test("a guest that never answers times out and shows its console")
        func bootTimeout() throws {
            let name = "boot-timeout-\(UInt32.random(in: 0...UInt32.max))"
            // rdinit=/bin/sh: the guest runs a shell on its console instead of the agent.
            let r = try HullCLI.run(["run", "--rm", "--name", name, "--boot-timeout", "8", "--kernel-arg", "rdinit=/bin/sh", "busybox", "true"])
            #expect(r.status == 125)
            #expect(r.err.contains("guest \(HullCLI.domain(name)) did not come up"))
            #expect(r.err.contains("did not answer hello"))
            #expect(r.err.contains("guest console"))
            #expect(try !HullCLI.hullDomains().contains(HullCLI.domain(name)))
        }

        @Test("a guest whose kernel panics is reported with the panic from its console")
        func kernelPanic() throws {
            let r = try HullCLI.run(["run", "--rm", "--kernel-arg", "rdinit=/does-not-exist", "busybox", "true"])
            #expect(r.status == 125)
            #expect(r.err.contains("did not come up"))
            #expect(r.err.contains("Kernel panic"))
        }
    }
}
