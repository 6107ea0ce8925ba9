import Foundation
import HullRuntime
import Testing

/// `--log-opt max-size/max-file`: what a container writes is kept up to SIZE × N on the
/// host, the newest of it. The keeping is hulld's (LogFile), the same for every mode, so
/// one mode proves it (process: the fastest to write a lot).
extension Integration {
    @Suite("bounded logs: --log-opt max-size and max-file")
    struct LogOptionTests {
        init() throws {
            try HullCLI.requireSetUp()
        }

        @Test("20 MB of output under max-size=1m, max-file=2 leaves at most 2 MiB of log; logs ends with the newest line")
        func bounded() throws {
            try HullCLI.require(.process)
            let d = try DaemonHarness()
            let run = try d.hull(["run", "-d", "--isolation", "process", "--name", "chatty",
                                  "--log-opt", "max-size=1m", "--log-opt", "max-file=2",
                                  "busybox", "sh", "-c", "yes line | head -c 20000000; echo the-end"])
            #expect(run.status == 0, "\(run.err)\n\(d.logTail)")
            let id = run.out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try d.hull(["wait", "chatty"]).out == "0\n")
            let folder = d.home.appendingPathComponent("containers/\(id)")
            let logs = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("main.") }
            let bytes = try logs.reduce(0) { sum, file in
                sum + ((try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(file).path)[.size] as? Int) ?? 0)
            }
            #expect(logs.count <= 2, "\(logs)")
            #expect(bytes <= 2 << 20 && bytes > 0, "\(bytes) bytes in \(logs)")
            let tail = try d.hull(["logs", "--tail", "2", "chatty"])
            #expect(tail.out == "line\nthe-end\n", "\(tail.out.suffix(200))")
            #expect(try d.hull(["rm", "chatty"]).status == 0)
        }

        @Test("options Hull does not have, and sizes out of range, are refused by name before anything runs")
        func refused() throws {
            let small = try HullCLI.run(["run", "--rm", "--log-opt", "max-size=1k", "busybox", "true"])
            #expect(small.status == 64 && small.err.contains("--log-opt max-size must be at least 65536"), "\(small.err)")
            let unknown = try HullCLI.run(["run", "--rm", "--log-opt", "mode=non-blocking", "busybox", "true"])
            #expect(unknown.status == 64 && unknown.err.contains("--log-opt mode is not supported"), "\(unknown.err)")
            let files = try HullCLI.run(["run", "--rm", "--log-opt", "max-file=0", "busybox", "true"])
            #expect(files.status == 64 && files.err.contains("--log-opt max-file must be at least 1"), "\(files.err)")
        }
    }
}
