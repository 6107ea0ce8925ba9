import ArgumentParser
import Foundation
import HullAPI
import HullClient

/// `hull create`: `hull run -d` without the start. It takes every option of `hull run`,
/// parsed by RunCommand itself so the two never drift apart.
struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a container under hulld without starting it (start it with `hull start`).",
        discussion: "Takes the same options as `hull run` (see `hull run --help`).")

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("hull run's options, IMAGE and the command.", valueName: "OPTIONS IMAGE COMMAND"))
    var arguments: [String] = []

    func run() async throws {
        if let first = arguments.first, ["--help", "-h", "help"].contains(first) {
            print(RunCommand.helpMessage())
            return
        }
        let run: RunCommand
        do {
            run = try RunCommand.parse(["-d"] + arguments)
        } catch {
            RunCommand.exit(withError: error)
        }
        let client = try await run.daemon.client()
        let request = try await run.pulledCreateRequest()
        try await reportingErrors {
            let created = try await client.call(.POST, "/v1/containers", json: request, expecting: CreatedContainer.self)
            print(created.id)
        }
    }
}
