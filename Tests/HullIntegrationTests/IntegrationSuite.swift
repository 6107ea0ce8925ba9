import Testing

/// Every integration suite nests in this one so they run one at a time: they boot guests
/// and compare host state (libvirt domains, run folders) before and after, which parallel
/// suites would disturb; and parallel TCG guests on a small host only slow each other.
@Suite("Integration", .serialized)
struct Integration {}
