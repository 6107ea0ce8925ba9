import Glibc

/// A NULL-terminated array of C strings in memory the child of a fork may read without
/// allocating (argv, envp, the exec candidates). Freed when released.
final class CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (i, s) in strings.enumerated() {
            pointers[i] = strdup(s)
        }
        pointers[strings.count] = nil
    }

    deinit {
        for i in 0..<count {
            free(pointers[i])
        }
        pointers.deallocate()
    }

    /// The `const char *const *` view.
    var constPointers: UnsafePointer<UnsafePointer<CChar>?> {
        UnsafeRawPointer(pointers).assumingMemoryBound(to: UnsafePointer<CChar>?.self)
    }

    /// The element at `index` as `const char *` (nil past the end).
    subscript(index: Int) -> UnsafePointer<CChar>? {
        index < count ? UnsafePointer(pointers[index]) : nil
    }
}
