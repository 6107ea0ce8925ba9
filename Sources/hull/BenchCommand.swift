import ArgumentParser
import Foundation
import HullRuntime
import Logging

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Compare the isolation modes on a fixed workload set.",
        discussion: """
            Runs each workload --runs times under each mode (vm, gvisor, process) in fresh \
            busybox containers with the probe mounted, and prints a table of medians and \
            spreads: cold start to first output, exec latency (in one running container, \
            the way hulld runs `hull exec`), stdout throughput, a syscall loop, a file I/O \
            loop in the container's rootfs and the host memory an idle container costs. \
            The probe's loops, a process spawn and the throughput writer also run directly \
            on the host as the baseline. Writes an SVG chart (--chart), and a PNG beside it when \
            rsvg-convert (librsvg2-bin) is installed.

            Example:
              hull bench --runs 5 --chart docs/bench-isolation.svg
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("runs"), help: "Runs per workload and mode.")
    var runs: Int = 5

    @Option(name: .customLong("isolation"), help: ArgumentHelp("A mode to include (repeatable; default: all three).", valueName: "MODE"))
    var modes: [String] = []

    @Option(name: .customLong("chart"), help: ArgumentHelp("Where the SVG chart goes.", valueName: "FILE"))
    var chart: String = "hull-bench.svg"

    func validate() throws {
        guard (1...100).contains(runs) else { throw ValidationError("--runs must be 1 to 100") }
    }

    func run() async throws {
        global.bootstrapLogging()
        let logger = Logger(label: "hull")
        let chosen: [IsolationMode]
        do {
            chosen = try modes.isEmpty ? IsolationMode.allCases : modes.map { m throws(IsolationError) in try IsolationMode.resolve(flag: m) }
        } catch {
            throw ValidationError(error.description)
        }
        do {
            try ProbeRunner(logger: logger).checkInstalled()
        } catch {
            FileHandle.standardError.write(Data("hull: \(error.reason)\n".utf8))
            throw ExitCode(125)
        }
        let result = await IsolationBench(logger: logger, runs: runs).run(modes: chosen) { line in
            FileHandle.standardError.write(Data("bench: \(line)\n".utf8))
        }
        print(result.markdown(runs: runs), terminator: "")
        let svg = BenchChart.svg(result, title: "hull bench: isolation modes (median, whiskers min–max, \(runs) runs)")
        let url = URL(fileURLWithPath: chart)
        try Data(svg.utf8).write(to: url)
        print("chart: \(url.path)")
        if let converter = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert"].first(where: FileManager.default.isExecutableFile) {
            let png = url.deletingPathExtension().appendingPathExtension("png")
            let converted = try await ChildProcess.run(converter, ["-o", png.path, url.path])
            if converted.status.code == 0 { print("chart: \(png.path)") } else {
                FileHandle.standardError.write(Data("hull: rsvg-convert failed: \(converted.output)\n".utf8))
            }
        }
        for (mode, failure) in result.failures.sorted(by: { $0.key < $1.key }) {
            FileHandle.standardError.write(Data("hull: \(mode): \(failure)\n".utf8))
        }
        if !result.failures.isEmpty { throw ExitCode(1) }
    }
}
