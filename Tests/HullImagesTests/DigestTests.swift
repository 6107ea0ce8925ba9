import Foundation
import Testing
@testable import HullImages

struct DigestTests {
    let abc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    @Test func parsesAndPrints() throws {
        let digest = try Digest(parsing: abc)
        #expect(digest.string == abc)
        #expect(digest.short == "ba7816bf8f01")
        #expect(Digest(hex: digest.hex) == digest)
    }

    @Test(arguments: [
        "", "sha256", "sha256:", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adx",
        "sha256:../../../../etc/passwd0000000000000000000000000000000000000000000",
        ":ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(throws: ImageError.malformedDigest(text)) { try Digest(parsing: text) }
    }

    @Test func rejectsOtherAlgorithms() {
        let text = "sha512:" + String(repeating: "a", count: 128)
        #expect(throws: ImageError.unsupportedDigest(text)) { try Digest(parsing: text) }
    }

    @Test func hashesData() {
        #expect(Digest.sha256(Data("abc".utf8)).string == abc)
        #expect(Digest.sha256(Data()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func hashesFilesInChunksLikeSha256sum() throws {
        let dir = try TempDir()
        let file = dir.path("big")
        // Larger than one read chunk and not a multiple of it.
        var bytes = [UInt8](repeating: 0, count: RawFile.chunkSize * 2 + 12345)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 9) }
        try Data(bytes).write(to: file)
        let (digest, size) = try Digest.sha256(fileAt: file)
        let expected = try Shell.run("sha256sum '\(file.path)' | cut -d' ' -f1").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(digest.hex == expected)
        #expect(size == Int64(bytes.count))
    }

    @Test func codableAsString() throws {
        let digest = try Digest(parsing: abc)
        let data = try JSONEncoder().encode([digest])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(abc)\"]")
        #expect(try JSONDecoder().decode([Digest].self, from: data) == [digest])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([Digest].self, from: Data("[\"sha256:zz\"]".utf8)) }
    }
}
