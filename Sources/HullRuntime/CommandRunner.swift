import Foundation

/// Runs the host tools Hull builds disks with (mkfs.ext4, qemu-img, tar) and turns a
/// failure into an error that carries the tool's own message.
enum CommandRunner {
    /// Runs the tool and returns its combined stdout and stderr.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // One pipe for both streams: read to EOF before waiting, so a chatty tool can
        // never block on a full pipe.
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CommandError(command: executable, status: -1, output: "\(error) (is it installed? run scripts/setup.sh)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw CommandError(command: ([executable] + arguments).joined(separator: " "),
                               status: process.terminationStatus, output: text)
        }
        return text
    }
}

struct CommandError: Error, CustomStringConvertible {
    var command: String
    var status: Int32
    var output: String
    var description: String {
        "\(command) failed (status \(status)): \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
    }
}
