import ArgumentParser
import Foundation
import HullRuntime
import Logging

struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Show what a container can see and do under each isolation mode.",
        discussion: """
            Runs the static probe ($HULL_HOME/probe/hull-probe, built by scripts/setup.sh) \
            in a fresh busybox container under each mode, and directly on the host, and \
            prints the answers side by side as a Markdown table: kernel and whether it is \
            the host's (and so where a kernel exploit would land), visible PIDs, mounts \
            and network interfaces, /proc and /sys exposure, module loading, raw devices, \
            dmesg, clock and random sources.

            Examples:
              hull probe
              hull probe --isolation gvisor --isolation process
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("isolation"), help: ArgumentHelp("A mode to probe (repeatable; default: vm, gvisor and process).", valueName: "MODE"))
    var modes: [String] = []

    func run() async throws {
        global.bootstrapLogging()
        let logger = Logger(label: "hull")
        let chosen: [IsolationMode]
        do {
            chosen = try modes.isEmpty ? IsolationMode.allCases : modes.map { m throws(IsolationError) in try IsolationMode.resolve(flag: m) }
        } catch {
            throw ValidationError(error.description)
        }
        let runner = ProbeRunner(logger: logger)
        do {
            try runner.checkInstalled()
        } catch {
            FileHandle.standardError.write(Data("hull: \(error.reason)\n".utf8))
            throw ExitCode(125)
        }
        var columns: [(title: String, report: Result<ProbeReport, ProbeFailure>)] = []
        for mode in chosen {
            FileHandle.standardError.write(Data("probing --isolation \(mode.rawValue) …\n".utf8))
            do {
                columns.append((mode.rawValue, .success(ProbeReport.parse(try await runner.runInContainer(mode)))))
            } catch {
                columns.append((mode.rawValue, .failure(ProbeFailure("\(error)"))))
            }
        }
        do {
            columns.append(("host", .success(ProbeReport.parse(try await runner.runOnHost()))))
        } catch {
            columns.append(("host", .failure(ProbeFailure("\(error)"))))
        }
        print(ProbeTable(columns: columns).markdown(), terminator: "")
        if columns.contains(where: { if case .failure = $0.report { true } else { false } }) {
            throw ExitCode(1)
        }
    }
}
