import Foundation
import HullImages
import Glibc
import HullProtocol

/// `hull exec` under runc/runsc: `exec --detach --process exec-N.json`, the process made
/// from the container's own (user, capabilities, rlimits), so it runs as the main one does.
extension OCIRuntimeSandbox {
    func exec(_ process: ExecProcess, stdio: ProcessStdio) async throws -> any ContainerProcess {
        let number = state.withLock { s -> Int in
            s.execCount += 1
            return s.execCount
        }
        let name = "exec-\(number)"
        let spec = process.applied(to: bundle.spec.process)
        let file = bundle.directory.appendingPathComponent("\(name).json")
        try PrivateFile.write(MessageCoding.prettyJSON(spec), to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let internalFile = bundle.directory.appendingPathComponent("\(name).internal-pid").path
        var words = ["exec", "--detach", "--process", file.path]
        if runtime.signalsExecByInternalPID { words += ["--internal-pid-file", internalFile] }
        let launched = try await launch(words, name: name, terminal: process.terminal,
                                        consoleSize: spec.consoleSize, stdio: stdio)
        launched.errors.release()
        // runc's process or runsc's waiter was the runtime's child: ours now (subreaper).
        guard let main = adopt([launched.pid])[launched.pid] else {
            throw RunError.startFailed("lost the exec'd process")
        }
        let signalling: OCIRuntimeProcess.Signalling
        if runtime.signalsExecByInternalPID {
            let inside = (try? String(contentsOfFile: internalFile, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            try? FileManager.default.removeItem(atPath: internalFile)
            guard Int(inside) != nil else { throw RunError.startFailed("\(tool) exec left no internal pid file") }
            signalling = .internalProcess(self, pid: inside)
        } else {
            signalling = .hostProcess(launched.pid)
        }
        return OCIRuntimeProcess(main: main, output: launched.output, errors: launched.errors,
                                 terminal: launched.terminal, signalling: signalling)
    }
}
