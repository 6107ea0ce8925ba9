import Foundation
import HullAPI
@testable import HullDaemon
@testable import HullEngine
import Synchronization
import Testing

@Suite("shared transfers and registry credentials (logic)")
struct TransferLogicTests {
    /// Collects a stream to its end.
    func lines(_ stream: AsyncStream<ProgressMessage>) async -> [ProgressMessage] {
        var all: [ProgressMessage] = []
        for await message in stream { all.append(message) }
        return all
    }

    @Test("asks for a running transfer join it: the work runs once and every follower sees all of it, from the start")
    func joined() async {
        let coalescer = TransferCoalescer()
        let runs = Mutex(0)
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let work: @Sendable (ProgressBroadcast) async -> Void = { broadcast in
            runs.withLock { $0 += 1 }
            broadcast.send(ProgressMessage(status: "first"))
            for await _ in gate { break }
            broadcast.send(ProgressMessage(status: "second"))
            broadcast.send(ProgressMessage(result: .init(reference: "r", digest: "d", imageDigest: "i", bytes: 1)))
        }
        let a = coalescer.follow("k", work: work)
        let b = coalescer.follow("k", work: work)
        let other = coalescer.follow("other", work: { $0.send(ProgressMessage(error: "no")) })
        open.yield()
        open.finish()
        let seenA = await lines(a), seenB = await lines(b)
        #expect(seenA.map(\.status) == ["first", "second", nil])
        #expect(seenB == seenA, "the late follower got the history too")
        #expect(seenA.last?.result?.imageDigest == "i")
        #expect(await lines(other).map(\.error) == ["no"], "another key is another transfer")
        #expect(runs.withLock { $0 } == 1)
    }

    @Test("once a transfer ended, the next ask starts a new one")
    func afresh() async {
        let coalescer = TransferCoalescer()
        let runs = Mutex(0)
        let work: @Sendable (ProgressBroadcast) async -> Void = { broadcast in
            let n = runs.withLock { $0 += 1; return $0 }
            broadcast.send(ProgressMessage(status: "run \(n)"))
        }
        #expect(await lines(coalescer.follow("k", work: work)).map(\.status) == ["run 1"])
        #expect(await lines(coalescer.follow("k", work: work)).map(\.status) == ["run 2"])
        #expect(coalescer.count == 0)
    }

    @Test("a follower that goes away does not stop the transfer for the others")
    func leaver() async {
        let coalescer = TransferCoalescer()
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let work: @Sendable (ProgressBroadcast) async -> Void = { broadcast in
            for await _ in gate { break }
            broadcast.send(ProgressMessage(status: "done"))
        }
        do {
            let leaving = coalescer.follow("k", work: work)
            _ = leaving   // dropped here: its stream ends
        }
        let staying = coalescer.follow("k", work: work)
        open.yield()
        #expect(await lines(staying).map(\.status) == ["done"])
    }

    @Test("X-Registry-Auth: Docker's base64url JSON round-trips; empty or {} means none; junk is refused")
    func authHeader() throws {
        let header = RegistryAuthHeader(username: "u", password: "p/+?~", serveraddress: "127.0.0.1:5000")
        #expect(!header.encoded.contains("+") && !header.encoded.contains("/"))
        #expect(try RegistryAuthHeader(encoded: header.encoded) == header)
        #expect(try RegistryAuthHeader(encoded: "") == nil)
        #expect(try RegistryAuthHeader(encoded: Data("{}".utf8).base64EncodedString()) == nil)
        #expect(throws: RegistryAuthError.self) { try RegistryAuthHeader(encoded: "%%%") }
        #expect(throws: RegistryAuthError.self) { try RegistryAuthHeader(encoded: Data("[1]".utf8).base64EncodedString()) }
        #expect(throws: RegistryAuthError.self) { try RegistryAuthHeader(encoded: String(repeating: "a", count: 20000)) }
    }
}
