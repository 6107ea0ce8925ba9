import ArgumentParser

/// `--memory-swap` and `--storage-opt` as Docker takes them.
enum LimitFlags {
    /// `--memory-swap SIZE|-1`: memory plus swap (-1: unlimited swap), in MiB.
    static func memorySwapMiB(_ text: String?) throws -> Int? {
        guard let text else { return nil }
        if text == "-1" { return -1 }
        return try MemorySize.parseMiB(text)
    }

    /// `--storage-opt size=SIZE` (the one option Hull knows), in MiB; given twice, the last wins.
    static func storageSizeMiB(_ options: [String]) throws -> Int? {
        var size: Int?
        for option in options {
            let pair = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0] == "size" else {
                throw ValidationError("--storage-opt \(option) is not supported (supported: size=SIZE, e.g. size=64m)")
            }
            size = try MemorySize.parseMiB(pair[1])
        }
        return size
    }

    /// `--log-opt max-size=SIZE` / `max-file=N` (Docker's json-file options; the others it
    /// knows are refused by name). Given twice, the last wins.
    static func logOptions(_ options: [String]) throws -> (maxSize: Int?, maxFiles: Int?) {
        var size: Int?, files: Int?
        for option in options {
            let pair = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else {
                throw ValidationError("--log-opt \(option): expected KEY=VALUE (max-size=10m or max-file=3)")
            }
            switch pair[0] {
            case "max-size": size = try MemorySize.parseBytes(pair[1])
            case "max-file":
                guard let n = Int(pair[1]) else { throw ValidationError("--log-opt max-file=\(pair[1]): expected a number of files") }
                files = n
            default:
                throw ValidationError("--log-opt \(pair[0]) is not supported (supported: max-size=SIZE, max-file=N)")
            }
        }
        return (size, files)
    }
}
