import Foundation

/// An OCI runtime command line: runc or runsc, with the global flags Hull gives it.
public struct OCIRuntime: Sendable, Equatable {
    public var mode: IsolationMode
    /// The executable's name.
    public var tool: String
    /// The Debian package that has it.
    public var package: String
    /// Flags before the subcommand (besides --root, which is per container).
    public var globalArguments: [String]

    /// runsc's exec'd processes live in the sandbox's own kernel: the host pid `runsc exec
    /// --detach` leaves is a waiter that does not pass signals on (measured), so they are
    /// signalled with `runsc kill --pid`. runc's are host processes, signalled directly.
    public var signalsExecByInternalPID: Bool { mode == .gvisor }

    /// runc's containers are host processes (`runc ps` lists host pids, /proc describes
    /// them); runsc's live in its Sentry, which only `runsc ps` can list.
    public var containerProcessesAreHostProcesses: Bool { mode == .process }

    /// The executable's path: $PATH first, then the sbin folders a non-login root shell may lack.
    public func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws(IsolationError) -> String {
        let dirs = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        for dir in dirs where !dir.isEmpty {
            let candidate = dir + "/" + tool
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw .runtimeMissing(tool, package: package)
    }

    /// Turns the runtime's message about a process that could not be started into the
    /// agent's wording, which `RunError.exitCode` maps to 127 (not found) and 126 (not
    /// executable), as Docker does.
    public static func startFailure(_ output: String) -> String {
        let text = message(in: output)
        let lower = text.lowercased()
        let command = quotedCommand(in: text) ?? "?"
        if lower.contains("executable file not found") || (lower.contains("exec") && lower.contains("no such file or directory")) {
            return "exec \"\(command)\": No such file or directory (\(text))"
        }
        if lower.contains("exec") && lower.contains("permission denied") {
            return "exec \"\(command)\": Permission denied (\(text))"
        }
        return text.isEmpty ? "the runtime failed without a message" : text
    }

    /// runc logs as `time=… level=error msg="…"`: the message, unescaped; other text as it is.
    static func message(in output: String) -> String {
        let lines = output.split(separator: "\n").map { line -> String in
            guard let start = line.range(of: "msg=\"") else { return String(line) }
            var body = line[start.upperBound...]
            if body.hasSuffix("\"") { body = body.dropLast() }
            return body.replacingOccurrences(of: "\\\"", with: "\"")
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The first "quoted" word after `exec`, as runc and runsc name the command.
    static func quotedCommand(in text: String) -> String? {
        guard let exec = text.range(of: "exec") else { return nil }
        let rest = text[exec.upperBound...]
        guard let open = rest.firstIndex(of: "\"") else { return nil }
        let after = rest[rest.index(after: open)...]
        guard let close = after.firstIndex(of: "\"") else { return nil }
        return String(after[..<close])
    }
}
