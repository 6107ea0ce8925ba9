import Foundation
import Glibc
import HullRuntime
import Testing

/// The core of `hull run` under every isolation mode: the same command line, the same
/// stdout/stderr/stdin/exit status/terminal behaviour. Real runc, real runsc, real guests.
extension Integration {
    @Suite("hull run under every isolation mode", .serialized)
    struct IsolationModeRunTests {
        init() throws {
            try HullCLI.requireSetUp()
        }

        func run(_ mode: IsolationMode, _ arguments: [String], stdin: Data? = nil) throws -> HullCLI.Result {
            try HullCLI.require(mode)
            let before = HullCLI.runDirectories()
            let r = try HullCLI.run(["run", "--rm", "--isolation", mode.rawValue] + arguments, stdin: stdin)
            // Nothing left behind: run folders (bundle, runtime state) and runtime processes.
            #expect(HullCLI.runDirectories().subtracting(before).isEmpty, "left in run/: \(HullCLI.runDirectories().subtracting(before))")
            #expect(HostProcesses.all().filter { $0.commandLine.hasPrefix("runsc-") || $0.commandLine.hasPrefix("runc") }
                .filter { $0.commandLine.contains(HullPaths().runs.path) }.isEmpty, "runtime processes outlived the run")
            return r
        }

        @Test("echo: stdout and stderr apart", arguments: IsolationMode.allCases)
        func echo(mode: IsolationMode) throws {
            let r = try run(mode, ["busybox", "sh", "-c", "echo out1; echo err1 >&2; echo out2"])
            #expect(r.status == 0, "stderr: \(r.err)")
            #expect(r.out == "out1\nout2\n")
            #expect(r.err == "err1\n")
        }

        @Test("exit status passes through", arguments: IsolationMode.allCases)
        func exitStatus(mode: IsolationMode) throws {
            let r = try run(mode, ["busybox", "sh", "-c", "exit 42"])
            #expect(r.status == 42, "stderr: \(r.err)")
        }

        @Test("a missing command is 127", arguments: IsolationMode.allCases)
        func notFound(mode: IsolationMode) throws {
            let r = try run(mode, ["busybox", "no-such-command"])
            #expect(r.status == 127, "stderr: \(r.err)")
            #expect(r.err.contains("no-such-command"))
        }

        @Test("environment, user and working directory", arguments: IsolationMode.allCases)
        func environment(mode: IsolationMode) throws {
            let r = try run(mode, ["-e", "GREETING=hi there", "-u", "nobody", "-w", "/tmp",
                                   "busybox", "sh", "-c", "echo \"$GREETING\"; id -u; pwd"])
            #expect(r.status == 0, "stderr: \(r.err)")
            #expect(r.out == "hi there\n65534\n/tmp\n")
        }

        @Test("stdin with -i arrives intact", arguments: IsolationMode.allCases)
        func stdin(mode: IsolationMode) throws {
            var bytes = [UInt8](repeating: 0, count: 1 << 20)
            for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 7) }
            let data = Data(bytes)
            let r = try run(mode, ["-i", "busybox", "sha256sum"], stdin: data)
            #expect(r.status == 0, "stderr: \(r.err)")
            #expect(r.out.hasPrefix(try sha256Hex(data)))
        }

        @Test("the kernel: the guest's, gVisor's or the host's", arguments: IsolationMode.allCases)
        func kernel(mode: IsolationMode) throws {
            let r = try run(mode, ["busybox", "uname", "-r"])
            #expect(r.status == 0, "stderr: \(r.err)")
            let host = try String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)
            #expect((r.out == host) == (mode == .process), "\(mode): \(r.out) vs host \(host)")
        }

        @Test("-m is honoured: guest size or cgroup limit", arguments: [IsolationMode.gvisor, .vm])
        func memory(mode: IsolationMode) throws {
            // MemTotal shows the limit under gVisor and the guest's size in a VM (runc's
            // limit is a cgroup the container does not see without /sys/fs/cgroup).
            let r = try run(mode, ["-m", "200m", "busybox", "head", "-1", "/proc/meminfo"])
            #expect(r.status == 0, "stderr: \(r.err)")
            let kib = Int(r.out.split(separator: " ").dropFirst().first { !$0.isEmpty } ?? "") ?? 0
            #expect(kib > 100 * 1024 && kib <= (200 + GuestConfig.overheadMiB) * 1024 + 8192, "MemTotal \(kib) kB")
        }

        @Test("a guest-only flag is refused before anything starts", arguments: [IsolationMode.gvisor, .process])
        func refusedFlag(mode: IsolationMode) throws {
            let r = try run(mode, ["--accel", "tcg", "busybox", "true"])
            #expect(r.status == 64, "stderr: \(r.err)")
            #expect(r.err.contains("--accel"))
            #expect(r.err.contains("--isolation \(mode.rawValue)"))
        }

        @Test("HULL_ISOLATION sets the default mode")
        func environmentDefault() throws {
            try HullCLI.require(.process)
            setenv("HULL_ISOLATION", "process", 1)
            defer { unsetenv("HULL_ISOLATION") }
            let r = try HullCLI.run(["run", "--rm", "busybox", "uname", "-r"])
            let host = try String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)
            #expect(r.out == host, "stderr: \(r.err)")
        }

        @Test("-it: a terminal, its size, resize, Ctrl-C and the exit status", arguments: IsolationMode.allCases)
        func terminal(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            try PseudoTerminal.expectShellSession(["run", "--rm", "-it", "--isolation", mode.rawValue, "busybox", "sh"])
        }

        @Test("the probe reaches the container and tells the modes apart")
        func probe() throws {
            for mode in IsolationMode.allCases { try HullCLI.require(mode) }
            let r = try HullCLI.run(["probe"])
            #expect(r.status == 0, "stderr: \(r.err)")
            let row = r.out.split(separator: "\n").first { $0.hasPrefix("| kernel exploit lands in") }
            let cells = row?.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
            // | key | vm | gvisor | process | host |
            #expect(cells.count == 5, "\(r.out)")
            if cells.count == 5 {
                #expect(cells[1] == "not the host kernel")
                #expect(cells[2] == "not the host kernel")
                #expect(cells[3] == "host kernel")
                #expect(cells[4] == "host kernel")
            }
        }
    }
}
