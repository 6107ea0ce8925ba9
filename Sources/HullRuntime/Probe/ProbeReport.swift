/// What `hull-probe` printed: `key: value` lines, in order. Parsing is bounded: the
/// probe runs inside the container, so its output is the workload's to forge.
public struct ProbeReport: Sendable, Equatable {
    public var entries: [(key: String, value: String)]

    public static let maxLines = 200
    public static let maxLineLength = 512

    public init(entries: [(key: String, value: String)]) {
        self.entries = entries
    }

    public static func == (a: ProbeReport, b: ProbeReport) -> Bool {
        a.entries.map(\.key) == b.entries.map(\.key) && a.entries.map(\.value) == b.entries.map(\.value)
    }

    /// Lines without ": " are skipped; keys and values are cut to `maxLineLength`, a key
    /// seen twice keeps its first value, and at most `maxLines` entries are kept.
    public static func parse(_ text: String) -> ProbeReport {
        var entries: [(key: String, value: String)] = []
        var seen = Set<String>()
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).prefix(maxLines * 2) {
            let bounded = line.prefix(maxLineLength)
            guard let separator = bounded.range(of: ": ") else { continue }
            let key = bounded[..<separator.lowerBound].trimmingWhitespace
            let value = bounded[separator.upperBound...].trimmingWhitespace
            guard !key.isEmpty, !seen.contains(key) else { continue }
            seen.insert(key)
            entries.append((key, value))
            if entries.count == maxLines { break }
        }
        return ProbeReport(entries: entries)
    }

    public subscript(key: String) -> String? {
        entries.first { $0.key == key }?.value
    }
}

/// Reports side by side: one row per key (in the order keys first appear), one column
/// per source, as a Markdown table.
public struct ProbeTable: Sendable {
    public var columns: [(title: String, report: Result<ProbeReport, ProbeFailure>)]

    public init(columns: [(title: String, report: Result<ProbeReport, ProbeFailure>)]) {
        self.columns = columns
    }

    public func markdown() -> String {
        var keys: [String] = []
        for case .success(let report) in columns.map(\.report) {
            for (key, _) in report.entries where !keys.contains(key) { keys.append(key) }
        }
        var rows = [["", ] + columns.map(\.title)]
        for key in keys {
            rows.append([key] + columns.map { column in
                switch column.report {
                case .success(let report): report[key] ?? "—"
                case .failure: "—"
                }
            })
        }
        let failures = columns.compactMap { column -> String? in
            if case .failure(let f) = column.report { return "\(column.title): \(f.reason)" }
            return nil
        }
        return MarkdownTable.render(rows) + (failures.isEmpty ? "" : "\n" + failures.map { "- \($0)" }.joined(separator: "\n") + "\n")
    }
}

public struct ProbeFailure: Error, Sendable, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// A Markdown table with padded columns, readable as plain text too.
public enum MarkdownTable {
    public static func render(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        let escaped = rows.map { $0.map { $0.replacingOccurrences(of: "|", with: "\\|") } }
        var widths = Array(repeating: 3, count: header.count)
        for row in escaped {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { i, c in c + String(repeating: " ", count: max(0, widths[i] - c.count)) }
                .joined(separator: " | ") + " |"
        }
        var out = [line(escaped[0]), "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"]
        out += escaped.dropFirst().map(line)
        return out.joined(separator: "\n") + "\n"
    }
}
