import ArgumentParser
import Foundation
import Glibc
import HullAPI
import HullClient

struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Connect this terminal to a running container's main process: its new output, and stdin when it was started with -i.",
        discussion: "hull exits with the container's exit status once it ends. Past output: `hull logs`.")
    @OptionGroup var daemon: DaemonOptions
    @Flag(name: .customLong("no-stdin"), help: "Do not send this terminal's input.")
    var noStdin = false
    @Argument(help: "Container name or id.") var container: String

    func run() async throws {
        let client = try await daemon.client()
        let code: Int32 = try await reportingErrors {
            let id = try pathComponent(container)
            let info = try await client.call(.GET, "/v1/containers/\(id)", expecting: ContainerInfo.self)
            guard info.state == .running else {
                throw DaemonClientError(status: 409, message: "container \(info.name) is not running")
            }
            let terminal = info.tty && isatty(STDIN_FILENO) == 1 ? TerminalMode(fd: STDIN_FILENO) : nil
            terminal?.enterRaw()
            defer { terminal?.restore() }
            let resizer = terminal.map { WindowResizer(terminal: $0, client: client, path: "/v1/containers/\(id)/resize") }
            if let size = terminal?.windowSize() {
                _ = try? await client.call(.POST, "/v1/containers/\(id)/resize", json: ResizeBody(rows: size.rows, columns: size.columns))
            }
            // The output stream first: hulld fixes where "new output" begins before it answers,
            // so whatever the process says in reply to this stdin is not skipped as history.
            let output = try await client.output("/v1/containers/\(id)/logs?follow=true&tail=0")
            if info.openStdin && !noStdin {
                Task.detached { try? await client.upload("/v1/containers/\(id)/stdin", from: STDIN_FILENO) }
            }
            for try await frame in output {
                FrameOutput.write(frame)
            }
            withExtendedLifetime(resizer) {}
            return try await client.call(.POST, "/v1/containers/\(id)/wait", expecting: WaitResult.self,
                                         timeout: DaemonClient.forever).exitCode
        }
        throw ExitCode(code)
    }
}
