/// The last bytes an output pump sent, by their offset in the stream, so a host that
/// resumes after a crash can ask again for what it never logged (hulld guests only).
struct ReplayRing: Sendable {
    let capacity: Int
    private var storage: [UInt8] = []
    /// Offset of the byte after the last one sent: all bytes the stream ever sent.
    private(set) var end: UInt64 = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    var start: UInt64 { end - UInt64(storage.count) }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        end += UInt64(bytes.count)
        guard capacity > 0 else { return }
        storage.append(contentsOf: bytes.suffix(capacity))
        if storage.count > capacity { storage.removeFirst(storage.count - capacity) }
    }

    /// The bytes from `offset` on that are still kept (from `start` when older ones are gone).
    func bytes(from offset: UInt64) -> [UInt8] {
        let from = min(max(offset, start), end)
        return Array(storage[Int(from - start)...])
    }
}
