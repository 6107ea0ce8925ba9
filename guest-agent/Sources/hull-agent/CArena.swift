import Glibc

/// C memory for one request to the child of a fork: strings, string lists and plain
/// arrays that stay put and readable without allocating until the arena is released.
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit {
        for block in blocks { free(block) }
    }

    func string(_ s: String) -> UnsafePointer<CChar> {
        let copy = strdup(s)!
        blocks.append(UnsafeMutableRawPointer(copy))
        return UnsafePointer(copy)
    }

    func optionalString(_ s: String?) -> UnsafePointer<CChar>? {
        s.map { string($0) }
    }

    /// A NULL-terminated `const char *const *`.
    func strings(_ list: [String]) -> UnsafePointer<UnsafePointer<CChar>?> {
        array(list.map { Optional(string($0)) } + [nil])
    }

    /// A NULL-terminated `char *const *` (argv, envp).
    func mutableStrings(_ list: [String]) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        array(list.map { Optional(UnsafeMutablePointer(mutating: string($0))) } + [nil])
    }

    func array<T: BitwiseCopyable>(_ values: [T]) -> UnsafePointer<T> {
        let raw = malloc(max(1, values.count) * MemoryLayout<T>.stride)!
        blocks.append(raw)
        let typed = raw.bindMemory(to: T.self, capacity: max(1, values.count))
        for (i, value) in values.enumerated() {
            (typed + i).initialize(to: value)
        }
        return UnsafePointer(typed)
    }
}
