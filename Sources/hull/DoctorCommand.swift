import ArgumentParser
import Foundation
import HullRuntime

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Say what this host offers Hull and what is missing.",
        discussion: "Exits 0 when `hull run` can work here, 1 otherwise.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        global.bootstrapLogging()
        let report = HostReport.gather()
        let width = report.checks.map(\.name.count).max() ?? 10
        for check in report.checks {
            let mark = switch check.status {
            case .ok: "ok  "
            case .warning: "warn"
            case .missing: "MISS"
            }
            let padded = check.name.padding(toLength: width, withPad: " ", startingAt: 0)
            print("[\(mark)] \(padded)  \(check.detail)")
            if let remedy = check.remedy {
                print("       \(String(repeating: " ", count: width))  → \(remedy)")
            }
        }
        print(report.canRun ? "\nhull run can work on this host." : "\nhull run cannot work yet: fix the MISS lines above.")
        if !report.canRun { throw ExitCode(1) }
    }
}
