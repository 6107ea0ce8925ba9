import Foundation
import Testing
@testable import HullImages

/// Damaged and unsuitable inputs: each fails with its own clear error, and the store is
/// left exactly as it was — index.json byte for byte, the same blobs, no scratch files,
/// no blob without a reference.
@Suite(.enabled(if: Tools.imageTools && Tools.root, "needs umoci, skopeo and root"))
struct BadInputTests {
    /// A store that already holds two images, so "unchanged" means something.
    func populatedStore(withApp: Bool = true) throws -> StoreFixture {
        let f = try StoreFixture()
        _ = try f.store.resolve("busybox")
        if withApp { try f.loadFixture(as: "app:before") }
        return f
    }

    func expectUnchanged(_ f: StoreFixture, since before: StoreSnapshot, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let after = StoreSnapshot(f.store)
        #expect(after == before, sourceLocation: sourceLocation)
        #expect(after.temp.isEmpty, "scratch files left: \(after.temp)", sourceLocation: sourceLocation)
        #expect(try f.store.unreferencedBlobs().isEmpty, sourceLocation: sourceLocation)
        #expect(try f.store.resolve("busybox").manifest.layers.count == 1, sourceLocation: sourceLocation)
    }

    func expectLoadFails(_ f: StoreFixture, _ source: URL, name: String? = nil,
                         sourceLocation: SourceLocation = #_sourceLocation,
                         _ check: (ImageError) -> Bool) throws {
        let before = StoreSnapshot(f.store)
        do {
            try f.store.load(from: source, name: name)
            Issue.record("loading \(source.lastPathComponent) succeeded", sourceLocation: sourceLocation)
        } catch let error as ImageError {
            #expect(check(error), "unexpected error: \(error)", sourceLocation: sourceLocation)
        }
        try expectUnchanged(f, since: before, sourceLocation: sourceLocation)
    }

    @Test(arguments: ["docker", "oci"])
    func truncatedArchive(_ kind: String) throws {
        let f = try populatedStore()
        let fixture = try Fixture.get()
        let full = kind == "docker" ? fixture.dockerArchive : fixture.ociArchive
        let data = try Data(contentsOf: full)
        // Mid-way through a member (tar itself notices), inside a header and on a block
        // boundary (tar stops quietly; the missing end-of-archive blocks give it away).
        for length in [data.count / 2 + 100, data.count / 3, 1000, (data.count / 2) / 512 * 512] {
            let cut = f.home.path("truncated-\(length).tar")
            try data.prefix(length).write(to: cut)
            try expectLoadFails(f, cut) { error in
                guard case .truncatedArchive(let path, _) = error else { return false }
                return path == cut.path && error.description.contains("is truncated")
            }
        }
    }

    @Test func blobWhoseDigestDoesNotMatch() throws {
        let f = try populatedStore()
        let dir = try TempDir()
        let layout = try Fixture.get().layoutCopy(in: dir)
        // Damage the last layer of v4 but keep its size: only hashing can tell. The layers
        // before it are new to the store and get written first, so this also shows that a
        // failed load takes back what it wrote.
        try Shell.run("umoci config --image '\(layout.path)':v4 --tag fresh --config.user 7:7 >/dev/null")
        let v4 = try manifest(layout, tag: "v4")
        let last = try #require(v4.layers.last).digest
        let path = layout.appendingPathComponent("blobs/sha256/\(last.hex)")
        var bytes = try Data(contentsOf: path)
        bytes[bytes.count - 5] ^= 0xff
        try bytes.write(to: path)
        try expectLoadFails(f, layout, name: "broken") { error in
            guard case .digestMismatch(let what, let expected, _) = error else { return false }
            return expected == last && what.contains("layer 4")
        }
    }

    @Test func manifestNamingAMissingBlob() throws {
        let f = try populatedStore()
        let dir = try TempDir()
        let layout = try Fixture.get().layoutCopy(in: dir)
        let v4 = try manifest(layout, tag: "v4")
        let gone = v4.layers[2].digest
        try FileManager.default.removeItem(at: layout.appendingPathComponent("blobs/sha256/\(gone.hex)"))
        try expectLoadFails(f, layout, name: "broken") { error in
            guard case .missingBlob(let what, let digest) = error else { return false }
            return digest == gone && what.contains("layer 3") && error.description.contains("nothing was stored")
        }
    }

    @Test func damagedConfig() throws {
        let f = try populatedStore()
        let dir = try TempDir()
        let layout = try Fixture.get().layoutCopy(in: dir)
        let config = try manifest(layout, tag: "v4").config
        let path = layout.appendingPathComponent("blobs/sha256/\(config.digest.hex)")
        let text = try String(contentsOf: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"amd64\"", with: "\"AMD64\"").write(to: path, atomically: true, encoding: .utf8)
        try expectLoadFails(f, layout, name: "broken") { error in
            if case .digestMismatch(_, let expected, _) = error { return expected == config.digest }
            return false
        }
    }

    @Test(arguments: ["oci", "docker-archive"])
    func imageForAnotherArchitecture(_ format: String) throws {
        let f = try populatedStore()
        let dir = try TempDir()
        let layout = try Fixture.get().layoutCopy(in: dir)
        try Shell.run("umoci config --image '\(layout.path)':v4 --architecture arm64 --tag arm64 >/dev/null")
        let source: URL
        if format == "oci" {
            source = dir.path("arm-layout")
            try Shell.run("skopeo copy -q oci:'\(layout.path)':arm64 oci:'\(source.path)':example.com/arm/app:1")
        } else {
            source = dir.path("arm.tar")
            try Shell.run("skopeo copy -q oci:'\(layout.path)':arm64 docker-archive:'\(source.path)':example.com/arm/app:1")
        }
        try expectLoadFails(f, source) { error in
            error == .wrongPlatform("example.com/arm/app:1", found: "linux/arm64")
                && error.description.contains("Hull runs linux/amd64 guests only")
        }
    }

    @Test func indexWithoutAnAmd64Image() throws {
        let f = try populatedStore()
        let dir = try TempDir()
        let layout = try Fixture.get().layoutCopy(in: dir)
        let v4 = try #require(try OCIIndex.decode(Data(contentsOf: layout.appendingPathComponent("index.json")), what: "i")
            .manifests.first { $0.refName == "v4" })
        var arm = v4
        arm.annotations = nil
        arm.platform = OCIPlatform(architecture: "arm64", os: "linux", variant: "v8")
        var s390 = arm
        s390.platform = OCIPlatform(architecture: "s390x", os: "linux")
        let multi = try JSONCoding.encode(OCIIndex(manifests: [arm, s390]))
        let digest = Digest.sha256(multi)
        try multi.write(to: layout.appendingPathComponent("blobs/sha256/\(digest.hex)"))
        try JSONCoding.encode(OCIIndex(manifests: [OCIDescriptor(
            mediaType: MediaType.ociIndex, digest: digest, size: Int64(multi.count),
            annotations: [OCIAnnotation.refName: "example.com/multi:1"])]))
            .write(to: layout.appendingPathComponent("index.json"))
        try expectLoadFails(f, layout) { error in
            error == .noMatchingPlatform("example.com/multi:1", wanted: "linux/amd64", available: ["linux/arm64/v8", "linux/s390x"])
        }
    }

    @Test func dockerArchiveWithAnAlteredLayer() throws {
        // Without the fixture's layers in the store: a layer already stored under its
        // digest is not read again, so the altered copy would simply be ignored.
        let f = try populatedStore(withApp: false)
        let dir = try TempDir()
        let fixture = try Fixture.get()
        // Unpack skopeo's archive, append a file to its largest layer tar, pack it again.
        try Shell.run("""
            mkdir x && tar -xf '\(fixture.dockerArchive.path)' -C x
            big=$(cd x && ls -S *.tar | head -n1)
            echo intruder > intruder && tar -rf "x/$big" intruder
            tar -cf altered.tar -C x .
            """, in: dir.url)
        try expectLoadFails(f, dir.path("altered.tar")) { error in
            if case .digestMismatch(let what, _, _) = error { return what.contains("layer") }
            return false
        }
    }

    @Test func archivePathsStayInsideTheArchive() throws {
        let f = try populatedStore()
        let dir = try TempDir()
        try Shell.run("""
            mkdir x && tar -xf '\(try Fixture.get().dockerArchive.path)' -C x
            python3 - <<'EOF'
            import json
            m = json.load(open('x/manifest.json'))
            m[0]['Layers'][0] = '../../../../etc/passwd'
            json.dump(m, open('x/manifest.json', 'w'))
            EOF
            tar -cf evil.tar -C x .
            """, in: dir.url)
        try expectLoadFails(f, dir.path("evil.tar")) { error in
            if case .unsafeArchivePath = error { return true }
            return false
        }
    }

    @Test func notAnImageAtAll() throws {
        let f = try populatedStore()
        let dir = try TempDir()
        let junk = dir.path("junk.tar")
        try Data("this is not a tar archive, not even close".utf8).write(to: junk)
        try expectLoadFails(f, junk) { if case .notAnArchive = $0 { return true }; return false }
        let empty = dir.path("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try expectLoadFails(f, empty) { $0 == .unknownFormat(empty.path) }
        let plain = dir.path("plain.tar")
        try Shell.run("echo hi > hello && tar -cf plain.tar hello", in: dir.url)
        try expectLoadFails(f, plain) { $0 == .unknownFormat(plain.path) }
        try expectLoadFails(f, dir.path("missing.tar")) { if case .io(_, ENOENT) = $0 { return true }; return false }
    }

    private func manifest(_ layout: URL, tag: String) throws -> OCIManifest {
        let index = try OCIIndex.decode(try Data(contentsOf: layout.appendingPathComponent("index.json")), what: "i")
        let entry = try #require(index.manifests.first { $0.refName == tag })
        return try OCIManifest.decode(try Data(contentsOf: layout.appendingPathComponent("blobs/sha256/\(entry.digest.hex)")), what: "m")
    }
}
