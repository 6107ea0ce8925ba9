import ArgumentParser
import Foundation
import Glibc
import HullAPI
import HullClient

struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run another command in a running container (same guest, same namespaces and root).",
        discussion: """
            The command runs as the container's user with its capabilities and environment \
            (plus -e), in its working directory unless -w. hull exits with the command's \
            exit status (126/127 when it could not be started).

            Examples:
              hull exec web ps
              hull exec -it web sh
              echo hi | hull exec -i web cat
            """)
    @OptionGroup var daemon: DaemonOptions
    @Flag(name: [.customShort("i"), .customLong("interactive")], help: "Send this terminal's stdin to the command.")
    var interactive = false
    @Flag(name: [.customShort("t"), .customLong("tty")], help: "Give the command a terminal.")
    var tty = false
    @Option(name: [.customShort("e"), .customLong("env")], help: ArgumentHelp("Set an environment variable.", valueName: "KEY=VALUE"))
    var env: [String] = []
    @Option(name: [.customShort("w"), .customLong("workdir")], help: "Working directory inside the container.")
    var workdir: String?
    @Argument(help: "Container name or id.") var container: String
    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The command and its arguments.", valueName: "COMMAND"))
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("missing COMMAND: try `hull exec \(container) ps`") }
    }

    func run() async throws {
        let client = try await daemon.client()
        let terminal = tty && isatty(STDIN_FILENO) == 1 ? TerminalMode(fd: STDIN_FILENO) : nil
        let size = terminal?.windowSize()
        let request = ExecSpec(command: command, env: EnvFile.expand(env), workdir: workdir, tty: tty,
                                  openStdin: interactive, rows: size?.rows, columns: size?.columns)
        let code: Int32 = try await reportingErrors {
            let created = try await client.call(.POST, "/v1/containers/\(try pathComponent(container))/exec",
                                                json: request, expecting: ExecCreated.self)
            let base = "/v1/exec/\(created.execID)"
            terminal?.enterRaw()
            defer { terminal?.restore() }
            let resizer = terminal.map { WindowResizer(terminal: $0, client: client, path: base + "/resize") }
            if interactive {
                Task.detached { try? await client.upload(base + "/stdin", from: STDIN_FILENO) }
            }
            for try await frame in try await client.output(base + "/output") {
                FrameOutput.write(frame)
            }
            withExtendedLifetime(resizer) {}
            return try await client.call(.POST, base + "/wait", expecting: WaitResult.self, timeout: DaemonClient.forever).exitCode
        }
        throw ExitCode(code)
    }
}

/// Sends the terminal's size to hulld on every SIGWINCH.
final class WindowResizer {
    private let source: any DispatchSourceSignal

    init(terminal: TerminalMode, client: DaemonClient, path: String) {
        signal(SIGWINCH, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
        source.setEventHandler {
            guard let size = terminal.windowSize() else { return }
            Task { _ = try? await client.call(.POST, path, json: ResizeBody(rows: size.rows, columns: size.columns)) }
        }
        source.resume()
        self.source = source
    }

    deinit { source.cancel() }
}
