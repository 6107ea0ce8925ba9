import Foundation
import Glibc
import HullRuntime
import Testing

/// hulld's lifecycle under every isolation mode: the same commands, the same logs, exec,
/// stop, restart, attach, cp and top behaviour for a guest, runsc and runc. Real hulld,
/// real guests, real runc and runsc.
extension Integration {
    @Suite("hulld under every isolation mode", .serialized)
    struct DaemonIsolationTests {
        /// Polls `hull logs` until both streams hold what is expected (or 60 s passed).
        func logs(_ d: DaemonHarness, _ name: String, containing text: String) throws -> HullCLI.Result {
            let deadline = Date().addingTimeInterval(60)
            var r = try d.hull(["logs", name])
            while !(r.out + r.err).contains(text), Date() < deadline {
                Thread.sleep(forTimeInterval: 0.1)
                r = try d.hull(["logs", name])
            }
            return r
        }

        /// Host processes of runc/runsc or QEMU that still name this container.
        func leftovers(_ d: DaemonHarness, id: String) -> [String] {
            let bundle = d.home.appendingPathComponent("run/\(id.prefix(12))").path
            return HostProcesses.all().map(\.commandLine).filter { $0.contains(bundle) }
        }

        func inspectField(_ d: DaemonHarness, _ name: String, _ key: String) throws -> Any? {
            let info = try JSONSerialization.jsonObject(with: Data(try d.hull(["inspect", name]).out.utf8)) as? [[String: Any]]
            return info?.first?[key]
        }

        @Test("run -d, logs, exec (env, cwd, stdin, exit codes), inspect, ps --filter, stop, restart keeps files, rm",
              arguments: IsolationMode.allCases)
        func lifecycle(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            let d = try DaemonHarness()
            // Limits for stats to report (gVisor refuses --pids-limit: docs/limits.md).
            let limits = ["-m", "128m"] + (mode == .gvisor ? [] : ["--pids-limit", "64"])
            let run = try d.hull(["run", "-d", "--isolation", mode.rawValue, "--name", "core", "-e", "MARK=m", "-w", "/tmp"] + limits
                                 + ["busybox", "sh", "-c", "trap 'echo term; exit 3' TERM; echo out1; echo err1 >&2; while true; do sleep 0.2; done"])
            #expect(run.status == 0, "\(run.err)\n\(d.logTail)")
            let id = run.out.trimmingCharacters(in: .whitespacesAndNewlines)
            let first = try logs(d, "core", containing: "err1")
            #expect(first.out == "out1\n")
            #expect(first.err == "err1\n")

            let exec = try d.hull(["exec", "-e", "WHO=x", "core", "sh", "-c", "echo $MARK$WHO $(pwd) $(id -u); echo e >&2; exit 5"])
            #expect(exec.status == 5, "\(exec.err)")
            #expect(exec.out == "mx /tmp 0\n")
            #expect(exec.err == "e\n")
            let workdir = try d.hull(["exec", "-w", "/etc", "core", "pwd"])
            #expect(workdir.out == "/etc\n", "\(workdir.err)")
            let input = Data(repeating: 9, count: 200_000)
            let piped = try d.hull(["exec", "-i", "core", "sha256sum"], stdin: input)
            #expect(piped.out.hasPrefix(try sha256Hex(input)), "\(piped.err)")
            let missing = try d.hull(["exec", "core", "no-such-command"])
            #expect(missing.status == 127, "\(missing.err)")
            #expect(try d.hull(["exec", "core", "sh", "-c", "kill -9 $$"]).status == 137)

            #expect(try inspectField(d, "core", "isolation") as? String == mode.rawValue)
            #expect(try d.hull(["ps", "--filter", "isolation=\(mode.rawValue)"]).out.contains("core"))
            let other = IsolationMode.allCases.first { $0 != mode }!
            #expect(!(try d.hull(["ps", "--filter", "isolation=\(other.rawValue)"]).out.contains("core")))

            // top needs nothing in the image: answered from outside the container.
            #expect(try d.hull(["exec", "core", "rm", "/bin/ps"]).status == 0)
            let top = try d.hull(["top", "core"])
            #expect(top.status == 0 && top.out.split(separator: "\n").first?.contains("PID") == true, "\(top.out)\(top.err)")
            // runsc's ps shows the command's name only; the others show its arguments.
            let shell = mode == .gvisor ? top.out.split(separator: "\n").contains { $0.hasSuffix(" sh") } : top.out.contains("while true")
            #expect(shell, "\(top.out)")
            let stats = try d.hull(["stats", "core"])
            #expect(stats.status == 0 && stats.out.contains("core") && stats.out.contains("MiB"), "\(stats.out)\(stats.err)")
            // The container's own cgroup, against its limits: the same figures it sees.
            #expect(stats.out.contains(" / 128.0MiB"), "memory limit in stats: \(stats.out)")
            if mode != .gvisor { #expect(stats.out.contains(" / 64"), "pids limit in stats: \(stats.out)") }

            // stop sends SIGTERM first: the trap runs and sets the exit code. (Not /tmp: gVisor
            // mounts a tmpfs there, as it does under Docker.)
            #expect(try d.hull(["exec", "core", "sh", "-c", "echo kept > /root/file"]).status == 0)
            #expect(try d.hull(["stop", "-t", "20", "core"]).status == 0)
            #expect(try d.hull(["wait", "core"]).out == "3\n")
            #expect(try d.hull(["logs", "core"]).out == "out1\nterm\n")
            #expect(try d.hull(["ps", "-a", "--filter", "status=exited"]).out.contains("Exited (3)"))
            #expect(try d.hull(["exec", "core", "true"]).err.contains("not running"))

            // Started again: a new run in the same log, the file written before still there.
            #expect(try d.hull(["start", "core"]).status == 0)
            let again = try logs(d, "core", containing: "term\nout1")
            #expect(again.out == "out1\nterm\nout1\n")
            #expect(try d.hull(["exec", "core", "cat", "/root/file"]).out == "kept\n", "restart keeps file changes")

            #expect(try d.hull(["rm", "-f", "core"]).status == 0)
            #expect(!(try d.hull(["ps", "-a"]).out.contains("core")))
            #expect(!FileManager.default.fileExists(atPath: d.home.appendingPathComponent("run/\(id.prefix(12))").path))
            #expect(leftovers(d, id: id).isEmpty, "\(leftovers(d, id: id))")
        }

        @Test("create -i, start, cp in and out, attach with stdin, exit status; exec -it with window size",
              arguments: IsolationMode.allCases)
        func attachCopyTerminal(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            let d = try DaemonHarness()
            let created = try d.hull(["create", "--isolation", mode.rawValue, "--name", "att", "-i", "busybox",
                                      "sh", "-c", "echo ready; read line; echo got:$line; exit 7"])
            #expect(created.status == 0, "\(created.err)")
            #expect(try d.hull(["start", "att"]).status == 0)

            let file = FileManager.default.temporaryDirectory.appendingPathComponent("hull-cp-\(UUID().uuidString)")
            try Data("copied in\n".utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            #expect(try d.hull(["cp", file.path, "att:/tmp/in.txt"]).status == 0)
            #expect(try d.hull(["exec", "att", "cat", "/tmp/in.txt"]).out == "copied in\n")
            let out = file.appendingPathExtension("out")
            defer { try? FileManager.default.removeItem(at: out) }
            let copied = try d.hull(["cp", "att:/etc/passwd", out.path])
            #expect(copied.status == 0, "\(copied.err)")
            #expect((try? String(contentsOf: out, encoding: .utf8))?.hasPrefix("root:") == true)

            try d.expectInteractiveExec(in: "att")

            let attached = try d.hull(["attach", "att"], stdin: Data("hello\n".utf8))
            #expect(attached.status == 7, "\(attached.err)")
            #expect(attached.out.contains("got:hello"))
            #expect(try d.hull(["logs", "att"]).out == "ready\ngot:hello\n")
        }

        @Test("hulld --default-isolation applies to create without --isolation; flags a mode cannot honour are refused")
        func defaultIsolation() throws {
            try HullCLI.require(.process)
            let d = try DaemonHarness(hulldArguments: ["--default-isolation", "process"])
            let run = try d.hull(["run", "-d", "--name", "plain", "busybox", "sleep", "1000"])
            #expect(run.status == 0, "\(run.err)")
            #expect(try inspectField(d, "plain", "isolation") as? String == "process")
            let accel = try d.hull(["run", "-d", "--name", "fast", "--accel", "tcg", "busybox", "true"])
            #expect(accel.status != 0)
            #expect(accel.err.contains("--accel cannot be honoured with --isolation process"), "\(accel.err)")
            #expect(!(try d.hull(["ps", "-a"]).out.contains("fast")), "nothing is created for a refused request")
            let unknown = try d.hull(["run", "-d", "--isolation", "chroot", "busybox", "true"])
            #expect(unknown.status != 0 && unknown.err.contains("unknown isolation mode"), "\(unknown.err)")
            let badFilter = try d.hull(["ps", "--filter", "isolation=chroot"])
            #expect(badFilter.status != 0 && badFilter.err.contains("unknown isolation mode"), "\(badFilter.err)")
        }

        @Test("hulld stopped or killed: gvisor and process containers end with it (with the reason), nothing left running",
              arguments: [IsolationMode.gvisor, .process])
        func endsWithHulld(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            let d = try DaemonHarness()
            let script = "trap 'echo term; exit 3' TERM; echo ready; while true; do sleep 0.2; done"
            let graceful = try d.hull(["run", "-d", "--isolation", mode.rawValue, "--name", "calm", "busybox", "sh", "-c", script])
            #expect(graceful.status == 0, "\(graceful.err)")
            // The trap is set once it said ready (a SIGTERM before would be ignored by the
            // pid-namespace init, and the stop would end in SIGKILL).
            #expect(try logs(d, "calm", containing: "ready").out == "ready\n")
            d.terminate()
            try d.start()
            let calm = try d.hull(["wait", "calm"]).out
            let calmReason = try inspectField(d, "calm", "exitReason") as? String ?? "-"
            #expect(calm == "3\n", "hulld's SIGTERM stops the container with SIGTERM and records its exit: \(calm) \(calmReason)")
            #expect(try d.hull(["logs", "calm"]).out == "ready\nterm\n")

            let crashed = try d.hull(["run", "-d", "--isolation", mode.rawValue, "--name", "orphan", "busybox", "sh", "-c", script])
            #expect(crashed.status == 0, "\(crashed.err)")
            let id = crashed.out.trimmingCharacters(in: .whitespacesAndNewlines)
            d.kill9()
            try d.start()
            #expect(try d.hull(["wait", "orphan"]).out == "137\n")
            let reason = try inspectField(d, "orphan", "exitReason") as? String ?? ""
            #expect(reason.contains("ends with the hulld that ran it"), "\(reason)")
            #expect(leftovers(d, id: id).isEmpty, "\(leftovers(d, id: id))")
            #expect(try d.hull(["start", "orphan"]).status == 0, "an ended container starts again")
            #expect(try d.hull(["rm", "-f", "orphan", "calm"]).status == 0)
        }

        @Test("12 gvisor and process containers started at once by 4 clients all run and exec; rm -f leaves nothing")
        func manyAtOnce() throws {
            try HullCLI.require(.gvisor)
            try HullCLI.require(.process)
            let d = try DaemonHarness()
            let failed = FailureList()
            DispatchQueue.concurrentPerform(iterations: 4) { client in
                for n in 0..<3 {
                    let mode = (client + n) % 2 == 0 ? "process" : "gvisor"
                    let r = try? d.hull(["run", "-d", "--isolation", mode, "--name", "crowd\(client)-\(n)", "busybox", "sleep", "1000"])
                    if r?.status != 0 { failed.add("crowd\(client)-\(n) (\(mode)): \(r?.err ?? "no result")") }
                }
            }
            #expect(failed.all.isEmpty, "\(failed.all)")
            let ids = try d.hull(["ps", "-q", "--no-trunc"]).out.split(separator: "\n").map(String.init)
            #expect(ids.count == 12)
            #expect(try d.hull(["ps", "-q", "--filter", "isolation=gvisor"]).out.split(separator: "\n").count == 6)
            let names = (0..<4).flatMap { c in (0..<3).map { "crowd\(c)-\($0)" } }
            DispatchQueue.concurrentPerform(iterations: 4) { client in
                for name in names where name.hasPrefix("crowd\(client)-") {
                    let r = try? d.hull(["exec", name, "echo", name])
                    if r?.out != name + "\n" { failed.add("exec in \(name): \(r?.out ?? "") \(r?.err ?? "")") }
                }
            }
            #expect(failed.all.isEmpty, "\(failed.all)")
            DispatchQueue.concurrentPerform(iterations: 4) { client in
                _ = try? d.hull(["rm", "-f"] + names.filter { $0.hasPrefix("crowd\(client)-") })
            }
            #expect(try d.hull(["ps", "-a", "-q"]).out.isEmpty)
            for id in ids { #expect(leftovers(d, id: id).isEmpty, "\(id): \(leftovers(d, id: id))") }
        }
    }
}
