import ArgumentParser
import Foundation
import HullAPI
import HullClient
import HullRuntime

/// How container commands reach hulld, starting it when it does not run.
struct DaemonOptions: ParsableArguments {
    @Option(name: .customLong("host"), help: ArgumentHelp("hulld's unix socket (env HULL_SOCKET).", valueName: "PATH"))
    var socket: String = DaemonSocket.path

    func client() async throws -> DaemonClient {
        do {
            try await DaemonLauncher.ensureRunning(socketPath: socket, home: HullPaths().home)
        } catch {
            FileHandle.standardError.write(Data("hull: \(error)\n".utf8))
            throw ExitCode(125)
        }
        return DaemonClient(socketPath: socket)
    }
}

/// Runs a client call; a hulld error is printed as `hull: message` and exits 1 (125 when
/// hulld could not be reached), as docker does.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as DaemonClientError {
        FileHandle.standardError.write(Data("hull: \(error.message)\n".utf8))
        throw ExitCode(error.status == nil ? 125 : 1)
    }
}

/// Container ids and names go into URL paths; anything else is refused before sending.
func pathComponent(_ reference: String) throws -> String {
    let allowed = reference.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    guard allowed, !reference.isEmpty else { throw ValidationError("invalid container name or id \"\(reference)\"") }
    return reference
}

/// Writes output frames to this process's stdout and stderr.
enum FrameOutput {
    static func write(_ frame: OutputFrame) {
        let fd = frame.stream == .stdout ? STDOUT_FILENO : STDERR_FILENO
        var offset = 0
        while offset < frame.payload.count {
            let n = frame.payload[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }
}
