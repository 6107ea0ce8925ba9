import ArgumentParser
import Foundation

/// Docker's `--env-file`: one VAR=VALUE per line, `#` comments and blank lines skipped,
/// a bare VAR copied from hull's own environment (dropped when unset there).
enum EnvFile {
    static func read(_ path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("--env-file \(path): cannot read the file")
        }
        var entries: [String] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let key = line.split(separator: "=", maxSplits: 1).first.map(String.init) ?? line
            guard !key.isEmpty, !key.contains(where: \.isWhitespace) else {
                throw ValidationError("--env-file \(path), line \(number + 1): variable '\(key)' contains whitespaces")
            }
            if line.contains("=") {
                entries.append(line)
            } else if let value = environment[line] {
                entries.append("\(line)=\(value)")
            }
        }
        return entries
    }

    /// `-e KEY=VALUE` as given; `-e KEY` copies KEY from hull's environment when set.
    static func expand(_ entries: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        entries.compactMap { entry in
            if entry.contains("=") { return entry }
            return environment[entry].map { "\(entry)=\($0)" }
        }
    }
}
