import ArgumentParser
import Foundation
import HullAPI
import HullClient

struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp",
        abstract: "Copy a file or directory between a running container and the host.",
        discussion: """
            One side is CONTAINER:PATH (an absolute path in the container). Copying to an \
            existing directory puts the file or directory inside it; otherwise it takes the \
            destination's name. Up to 256 MiB per copy.

            Examples:
              hull cp web:/etc/os-release ./os-release
              hull cp ./site web:/srv/
            """)
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "Source: PATH or CONTAINER:PATH.") var source: String
    @Argument(help: "Destination: PATH or CONTAINER:PATH.") var destination: String

    func validate() throws {
        switch (Endpoint(source), Endpoint(destination)) {
        case (.container, .container): throw ValidationError("copying between two containers is not supported: copy to the host first")
        case (.host, .host): throw ValidationError("one side must be CONTAINER:PATH")
        default: break
        }
    }

    func run() async throws {
        let client = try await daemon.client()
        try await reportingErrors {
            switch (Endpoint(source), Endpoint(destination)) {
            case (.container(let c, let path), .host(let local)):
                let tar = try await client.call(.GET, "/v1/containers/\(try pathComponent(c))/archive?path=\(Self.query(path))")
                try HostTar.extract(tar, to: URL(fileURLWithPath: local))
            case (.host(let local), .container(let c, let path)):
                let tar = try HostTar.create(URL(fileURLWithPath: local))
                _ = try await client.call(.PUT, "/v1/containers/\(try pathComponent(c))/archive?path=\(Self.query(path))", body: tar)
            default:
                break
            }
        }
    }

    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+#?")))
            ?? text
    }

    enum Endpoint {
        case host(String)
        case container(String, String)

        init(_ text: String) {
            if let colon = text.firstIndex(of: ":"), !text.hasPrefix("/"), !text.hasPrefix(".") {
                self = .container(String(text[..<colon]), String(text[text.index(after: colon)...]))
            } else {
                self = .host(text)
            }
        }
    }
}

/// The host side of `cp`: the host's tar packs and unpacks.
enum HostTar {
    static func create(_ source: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: source.path) else {
            throw DaemonClientError(status: nil, message: "no such file or directory: \(source.path)")
        }
        return try run(["-cf", "-", "-C", source.deletingLastPathComponent().path, source.lastPathComponent], input: nil)
    }

    static func extract(_ tar: Data, to destination: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination.path, isDirectory: &isDirectory), isDirectory.boolValue {
            _ = try run(["-xf", "-", "-C", destination.path], input: tar)
            return
        }
        // Unpack beside the destination, then give the one entry the destination's name.
        let parent = destination.deletingLastPathComponent()
        let scratch = parent.appendingPathComponent(".hull-cp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: scratch) }
        _ = try run(["-xf", "-", "-C", scratch.path], input: tar)
        let entries = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
        guard entries.count == 1 else { throw DaemonClientError(status: nil, message: "the archive from the container held \(entries.count) entries") }
        try FileManager.default.moveItem(at: scratch.appendingPathComponent(entries[0]), to: destination)
    }

    private static func run(_ arguments: [String], input: Data?) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/tar")
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            DispatchQueue.global().async {
                try? inPipe.fileHandleForWriting.write(contentsOf: input)
                try? inPipe.fileHandleForWriting.close()
            }
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DaemonClientError(status: nil, message: "tar failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return data
    }
}
