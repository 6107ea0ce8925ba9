import ArgumentParser
import HullAPI

/// `--ulimit NAME=SOFT[:HARD]` as Docker takes it (HARD defaults to SOFT; -1 or
/// "unlimited" is no limit).
enum UlimitFlags {
    static func parse(_ texts: [String]) throws -> [UlimitSpec] {
        try texts.map { text in
            let pair = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { throw ValidationError("--ulimit \(text): use NAME=SOFT[:HARD], e.g. nofile=1024:2048") }
            let values = pair[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard values.count == 1 || values.count == 2 else {
                throw ValidationError("--ulimit \(text): use NAME=SOFT[:HARD], e.g. nofile=1024:2048")
            }
            func number(_ v: String) throws -> Int64 {
                if v == "unlimited" { return -1 }
                guard let n = Int64(v) else { throw ValidationError("--ulimit \(text): \(v) is not a number (or -1, unlimited)") }
                return n
            }
            let soft = try number(values[0])
            return UlimitSpec(name: pair[0], soft: soft, hard: values.count == 2 ? try number(values[1]) : soft)
        }
    }
}
