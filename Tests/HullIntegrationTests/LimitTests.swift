import Foundation
import Glibc
import HullRuntime
import Testing

/// Resource limits in every isolation mode (issue 10), each enforced, not only recorded:
/// `--pids-limit` stops a fork bomb, `-m` OOM-kills (137, OOMKilled) while hull, hulld and
/// the guest agent keep answering, `--storage-opt size` gives ENOSPC inside and bounds
/// the host's disk use, `--cpus` holds a busy loop in a guest. What a mode cannot
/// enforce is refused before anything starts.
extension Integration {
    @Suite("resource limits in every mode", .serialized)
    struct LimitTests {
        init() throws {
            try HullCLI.requireSetUp()
        }

        func name(_ what: String, _ mode: IsolationMode) -> String {
            "lim-\(what)-\(mode.rawValue)-\(UInt16.random(in: 0...UInt16.max))"
        }

        /// `hull inspect NAME` as JSON.
        func inspect(_ name: String) throws -> [String: Any] {
            let r = try HullCLI.run(["inspect", name])
            let list = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]]
            return try #require(list?.first, "inspect \(name): \(r.err)")
        }

        /// Waits (bounded) until the container's log contains `marker`.
        func waitForLog(_ name: String, _ marker: String, seconds: Double = 120) throws -> String {
            let deadline = Date().addingTimeInterval(seconds)
            var text = ""
            while Date() < deadline {
                text = try HullCLI.run(["logs", name]).out
                if text.contains(marker) { return text }
                Thread.sleep(forTimeInterval: 0.5)
            }
            return text
        }

        /// Starts up to 200 `sleep`s in a subshell until fork fails; the count reached is
        /// written with builtins only, so it survives the subshell's death.
        static let forkBomb = #"(i=0; while [ $i -lt 200 ]; do sleep 600 & i=$((i+1)); echo $i > /tmp/n; done) 2>/dev/null; read n < /tmp/n; echo started=$n"#

        @Test("--pids-limit 50 stops a fork bomb at the limit while hull and hulld answer", arguments: [IsolationMode.vm, .process])
        func pidsLimit(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            let name = name("pids", mode)
            defer { _ = try? HullCLI.run(["rm", "-f", name]) }
            let r = try HullCLI.run(["run", "-d", "--name", name, "--isolation", mode.rawValue, "--pids-limit", "50",
                                     "busybox", "sh", "-c", Self.forkBomb + "; sleep 600"])
            #expect(r.status == 0, "\(r.err)")
            let log = try waitForLog(name, "started=")
            let started = log.split(separator: "\n").first { $0.hasPrefix("started=") }.flatMap { Int($0.dropFirst(8)) }
            // 50 tasks: the shell, the subshell and 48 sleeps (never the 200 asked for).
            #expect(started.map { (40...48).contains($0) } == true, "\(log)")
            // The container sits at its limit; hulld and the CLI answer, and see it.
            let ps = try HullCLI.run(["ps"])
            #expect(ps.status == 0 && ps.out.contains(name), "\(ps.err)")
            let top = try HullCLI.run(["top", name])
            #expect(top.status == 0, "\(top.err)")
            let sleeps = top.out.split(separator: "\n").filter { $0.contains("sleep 600") }.count
            #expect((40...49).contains(sleeps), "\(top.out)")
            let rm = try HullCLI.run(["rm", "-f", name])
            #expect(rm.status == 0, "\(rm.err)")
        }

        @Test("an allocation past -m 128m is OOM-killed: exit 137, OOMKilled in inspect", arguments: IsolationMode.allCases)
        func oomKill(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            let name = name("oom", mode)
            defer { _ = try? HullCLI.run(["rm", "-f", name]) }
            // dd's 200 MB buffer is filled inside read(): the limit is met at once.
            let r = try HullCLI.run(["run", "--name", name, "--isolation", mode.rawValue, "-m", "128m",
                                     "busybox", "dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"])
            #expect(r.status == 137, "\(r.out) \(r.err)")
            let info = try inspect(name)
            #expect(info["oomKilled"] as? Bool == true, "\(info)")
            #expect(info["exitCode"] as? Int == 137)
            #expect((info["exitReason"] as? String ?? "").contains("OOM"), "\(info)")
            // The same container within its limit: not OOM-killed, and the flag is reset.
            let fits = try HullCLI.run(["run", "--rm", "--isolation", mode.rawValue, "-m", "128m",
                                        "busybox", "dd", "if=/dev/zero", "of=/dev/null", "bs=32M", "count=1"])
            #expect(fits.status == 0, "\(fits.err)")
        }

        @Test("after an OOM kill inside, the agent (exec) and hulld keep answering; OOMKilled once it exits", arguments: [IsolationMode.vm, .process])
        func survivesOOM(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            let name = name("after-oom", mode)
            defer { _ = try? HullCLI.run(["rm", "-f", name]) }
            let r = try HullCLI.run(["run", "-d", "--name", name, "--isolation", mode.rawValue, "-m", "128m", "busybox", "sh", "-c",
                                     "dd if=/dev/zero of=/dev/null bs=200M count=1; echo dd=$?; sleep 600"])
            #expect(r.status == 0, "\(r.err)")
            #expect(try waitForLog(name, "dd=").contains("dd=137"))
            let exec = try HullCLI.run(["exec", name, "echo", "alive"])
            #expect(exec.status == 0 && exec.out == "alive\n", "\(exec.err)")
            #expect(try HullCLI.run(["stop", "-t", "1", name]).status == 0)
            #expect(try inspect(name)["oomKilled"] as? Bool == true)
        }

        @Test("--storage-opt size=32m: ENOSPC inside, the host's disk use stays below it, nothing mounted after rm", arguments: IsolationMode.allCases)
        func storageSize(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            let name = name("disk", mode)
            defer { _ = try? HullCLI.run(["rm", "-f", name]) }
            // The built-in busybox disk alone would take ~60 MB of writes.
            let r = try HullCLI.run(["run", "--name", name, "--isolation", mode.rawValue, "--storage-opt", "size=32m", "busybox", "sh", "-c",
                                     "test -e /big && echo kept; dd if=/dev/zero of=/big bs=1M count=100 2>&1 | grep -o 'No space left on device' | head -1; sync; wc -c < /big"])
            #expect(r.status == 0, "\(r.err)")
            let lines = r.out.split(separator: "\n")
            #expect(lines.first == "No space left on device", "\(r.out)")
            let written = lines.last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
            #expect(written > 16 << 20 && written < 32 << 20, "\(r.out)")
            // Allocated bytes of the container's run folder: the writable layer's file
            // (never more than 32 MiB) plus what the image needs.
            let id = try #require(try inspect(name)["id"] as? String)
            let folder = HullPaths().runDirectory(id: String(id.prefix(12)))
            let allocated = Self.allocatedBytes(folder)
            #expect(allocated < (32 + 8) << 20, "\(allocated) bytes allocated in \(folder.path)")
            // A restart finds what was written, and the same limit.
            #expect(try HullCLI.run(["start", name]).status == 0)
            #expect(try HullCLI.run(["wait", name]).out == "0\n")
            let logs = try HullCLI.run(["logs", name]).out
            #expect(logs.contains("kept\nNo space left on device\n"), "\(logs)")
            #expect(try HullCLI.run(["rm", name]).status == 0)
            let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            #expect(!mounts.contains(folder.path), "left mounted")
            #expect(!FileManager.default.fileExists(atPath: folder.path))
        }

        /// Bytes the files under `folder` take on disk (sparse parts not counted).
        static func allocatedBytes(_ folder: URL) -> Int {
            var total = 0
            let files = FileManager.default.enumerator(atPath: folder.path)
            while let relative = files?.nextObject() as? String {
                var info = stat()
                if lstat(folder.appendingPathComponent(relative).path, &info) == 0 { total += Int(info.st_blocks) * 512 }
            }
            return total
        }

        @Test("--cpus 0.5 holds a busy loop in a guest to half a CPU (the container's cgroup, not only the vCPU count)")
        func cpuQuota() throws {
            try HullCLI.require(.vm)
            // busybox time: CPU seconds (user + sys) of a loop that spins for 4 s of wall time.
            let r = try HullCLI.run(["run", "--rm", "--cpus", "0.5", "busybox", "sh", "-c",
                                     "time -p timeout 4 sh -c 'while :; do :; done' 2>&1; true"])
            let figures = Dictionary(uniqueKeysWithValues: (r.out + r.err).split(separator: "\n").compactMap { line -> (String, Double)? in
                let words = line.split(separator: " ")
                guard words.count == 2, let value = Double(words[1]) else { return nil }
                return (String(words[0]), value)
            })
            let real = try #require(figures["real"], "\(r.out) \(r.err)")
            let cpu = (figures["user"] ?? 0) + (figures["sys"] ?? 0)
            // The quota allows 50 ms per 100 ms period; one period of slack.
            #expect(cpu <= real * 0.5 + 0.2, "cpu \(cpu) s in \(real) s")
            #expect(cpu > 0.5, "the loop ran: cpu \(cpu) s in \(real) s")
        }

        @Test("limits a mode cannot enforce are refused before anything starts (exit 125); -1 means unlimited")
        func refusals() throws {
            try HullCLI.require(.gvisor)
            let name = name("refused", .gvisor)
            let r = try HullCLI.run(["run", "--rm", "--name", name, "--isolation", "gvisor", "--pids-limit", "50", "busybox", "true"])
            #expect(r.status == 125)
            #expect(r.err.contains("--pids-limit cannot be enforced with --isolation gvisor"), "\(r.err)")
            #expect(try !HullCLI.run(["ps", "-a"]).out.contains(name))
            let swap = try HullCLI.run(["run", "--rm", "--memory-swap", "256m", "busybox", "true"])
            #expect(swap.status == 64 && swap.err.contains("--memory-swap needs a memory limit"), "\(swap.err)")
            let opt = try HullCLI.run(["run", "--rm", "--storage-opt", "dm.basesize=1g", "busybox", "true"])
            #expect(opt.status == 64 && opt.err.contains("not supported"), "\(opt.err)")
            // -1 (Docker's "unlimited") is a value, not an option.
            let unlimited = try HullCLI.run(["run", "--rm", "--isolation", "process", "-m", "64m", "--memory-swap", "-1",
                                             "--pids-limit", "-1", "busybox", "echo", "ok"])
            #expect(unlimited.status == 0 && unlimited.out == "ok\n", "\(unlimited.err)")
        }
    }
}
