import Foundation
import Glibc
import HullClient

/// Sends an image archive to hulld as a request body: a file as it is, a folder (an OCI
/// layout) as a tar made on the fly by GNU tar, `-` from stdin.
enum ArchiveUpload {
    static func send(_ source: String, client: DaemonClient, path: String) async throws -> Data {
        if source == "-" { return try await client.upload(path, from: STDIN_FILENO, contentType: "application/x-tar") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw DaemonClientError(status: 400, message: "\(source): no such file or directory")
        }
        if !isDirectory.boolValue {
            let fd = open(source, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw DaemonClientError(status: 400, message: "\(source): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            return try await client.upload(path, from: fd, contentType: "application/x-tar")
        }
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-C", source, "-cf", "-", "."]
        let pipe = Pipe()
        let errors = Pipe()
        tar.standardOutput = pipe
        tar.standardError = errors
        try tar.run()
        try? pipe.fileHandleForWriting.close()
        let answer: Data
        do {
            answer = try await client.upload(path, from: pipe.fileHandleForReading.fileDescriptor, contentType: "application/x-tar")
        } catch {
            tar.terminate()
            tar.waitUntilExit()
            throw error
        }
        tar.waitUntilExit()
        guard tar.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
            throw DaemonClientError(status: 400, message: "tar of \(source) failed: \(message)")
        }
        return answer
    }
}
