import ArgumentParser
import Foundation
import Glibc
import HullAPI
import HullClient
import HullProtocol
import HullRuntime

/// `hull run` without -d: a client of hulld like every other verb, the way `docker run`
/// is — create, follow the output, start, forward stdin, signals and the terminal's size,
/// wait, and exit with the container's status. hulld holds the container for this client
/// (`foreground`): if the client dies, hulld kills the container (and with --rm removes it).
extension RunCommand {
    func runForeground(_ request: CreateContainerRequest) async throws {
        // Caught from here on, so a signal during create or start is forwarded once the
        // container runs instead of killing this client with the container half set up.
        let terminal = tty && isatty(STDIN_FILENO) == 1 ? TerminalMode(fd: STDIN_FILENO) : nil
        let signals = SignalForwarder(forwardInterrupts: terminal == nil,
                                      grace: InputLimits.duration(seconds: stopTimeout, limit: InputLimits.maxStopSeconds))
        let client = try await daemon.client()
        let created: CreatedContainer
        do {
            created = try await client.call(.POST, "/v1/containers", json: request, expecting: CreatedContainer.self)
        } catch let error as DaemonClientError {
            throw Self.fail(error.message, status: 125)   // docker run: 125 when the container cannot be created
        }
        let base = "/v1/containers/\(created.id)"
        let result: WaitResult
        do {
            // Following before the start: hulld counts this client as the container's
            // holder, and no output is missed.
            let output = try await client.output(base + "/logs?follow=true&tail=0")
            terminal?.enterRaw()
            defer { terminal?.restore() }
            do {
                _ = try await client.call(.POST, base + "/start")
            } catch let error as DaemonClientError {
                throw Self.fail(error.message, status: try await startFailureStatus(client, base))
            }
            let send: @Sendable (Int32) async -> Void = { sig in
                _ = try? await client.call(.POST, base + "/kill?signal=\(sig)")
            }
            let resize: @Sendable (WindowSize) async -> Void = { size in
                _ = try? await client.call(.POST, base + "/resize", json: ResizeBody(rows: size.rows, columns: size.columns))
            }
            signals.attach(send: send, resize: resize, terminal: terminal)
            if let size = terminal?.windowSize() {
                _ = try? await client.call(.POST, base + "/resize", json: ResizeBody(rows: size.rows, columns: size.columns))
            }
            if interactive {
                Task.detached { try? await client.upload(base + "/stdin", from: STDIN_FILENO) }
            }
            for try await frame in output {
                FrameOutput.write(frame)
            }
            result = try await client.call(.POST, base + "/wait", expecting: WaitResult.self, timeout: DaemonClient.forever)
        } catch let exit as ExitCode {
            throw exit
        } catch let error as DaemonClientError {
            throw Self.fail(error.message, status: 125)
        } catch {
            throw Self.fail("lost hulld while the container ran: \(error)", status: 125)
        }
        // Docker: a container killed after ignoring the forwarded signal gives 128+that signal.
        if let killedFor = signals.killedAfterGrace {
            throw ExitCode(128 + killedFor)
        }
        if result.exitCode == 137, let reason = result.exitReason, !reason.isEmpty {
            FileHandle.standardError.write(Data("hull: \(reason)\n".utf8))
        }
        throw ExitCode(result.exitCode)
    }

    /// A start that failed left its status in the record: 127 command not found, 126 not
    /// executable, 125 anything else. With --rm the container goes (hulld removes only
    /// what ran).
    private func startFailureStatus(_ client: DaemonClient, _ base: String) async throws -> Int32 {
        let info = try? await client.call(.GET, base, expecting: ContainerInfo.self)
        if remove { _ = try? await client.call(.DELETE, base + "?force=true") }
        return info?.exitCode ?? 125
    }

    static func fail(_ message: String, status: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("hull: \(message)\n".utf8))
        return ExitCode(status)
    }
}
