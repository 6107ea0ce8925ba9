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
}
