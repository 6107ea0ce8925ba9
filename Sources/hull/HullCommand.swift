import ArgumentParser
import Foundation
import Logging

@main
struct HullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hull",
        abstract: "Run containers, each in its own minimal virtual machine.",
        discussion: """
            Every container boots its own Linux kernel in a QEMU guest started through \
            libvirt (KVM where the CPU allows it, TCG emulation otherwise). A small agent \
            inside the guest runs the command and carries its stdio and exit status back.

            Files live under $HULL_HOME (default /var/lib/hull). Set HULL_ACCEL=kvm|tcg to \
            force the accelerator and HULL_LOG_LEVEL=debug for details.
            """,
        subcommands: [
            RunCommand.self, CreateCommand.self, StartCommand.self, AttachCommand.self, PsCommand.self,
            LogsCommand.self, ExecCommand.self, StopCommand.self, RestartCommand.self, KillCommand.self,
            WaitCommand.self, RemoveCommand.self, InspectCommand.self, PortCommand.self, TopCommand.self, StatsCommand.self,
            CopyCommand.self, PullCommand.self, PushCommand.self, ImageTag.self, ImageCommand.self,
            VolumeCommand.self, SystemCommand.self, LoginCommand.self, LogoutCommand.self, ProbeCommand.self, BenchCommand.self, DoctorCommand.self,
        ])
}

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    func bootstrapLogging() {
        let name = logLevel ?? ProcessInfo.processInfo.environment["HULL_LOG_LEVEL"] ?? "warning"
        let level = Logger.Level(rawValue: name.lowercased()) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

