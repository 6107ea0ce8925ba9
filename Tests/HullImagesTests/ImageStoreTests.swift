import Foundation
import Testing
@testable import HullImages

@Suite(.enabled(if: Tools.root, "needs root (ownership in layers)"))
struct ImageStoreTests {
    @Test func builtinImageIsMadeOnFirstUse() throws {
        let f = try StoreFixture()
        let image = try f.store.resolve("busybox")
        #expect(image.reference == "busybox:latest")
        #expect(image.config.architecture == "amd64" && image.config.os == "linux")
        #expect(image.config.config?.cmd == ["sh"])
        #expect(image.config.config?.env == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        #expect(image.manifest.layers.map(\.mediaType) == [MediaType.ociLayerGzip])
        // diff_id is the digest of the uncompressed layer.
        let layer = f.store.blobs.path(image.manifest.layers[0].digest)
        let unzipped = try Shell.run("gzip -dc '\(layer.path)' | sha256sum | cut -d' ' -f1").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(image.config.rootfs.diffIDs.map(\.hex) == [unzipped])

        let entry = try #require(try f.index().manifests.first)
        #expect(entry.refName == "docker.io/library/busybox:latest")
        #expect(entry.annotations?[OCIAnnotation.hullBuiltin] == "busybox 1.0 rootfs test")
        #expect(try String(contentsOf: f.store.layout.appendingPathComponent("oci-layout"), encoding: .utf8)
                    == #"{"imageLayoutVersion":"1.0.0"}"#)
        #expect(try f.store.resolve("docker.io/library/busybox:latest").manifestDigest == image.manifestDigest)
        #expect(try f.store.resolve(image.manifestDigest.string).manifestDigest == image.manifestDigest)
        #expect(try f.store.resolve(String(image.manifestDigest.hex.prefix(6))).manifestDigest == image.manifestDigest)

        let tree = f.home.path("unpacked")
        try f.store.unpack(image, into: tree)
        #expect(try TreeListing.list(tree) == TreeListing.list(f.builtinRootfs))
    }

    @Test func builtinImageIsReproducible() throws {
        let a = try StoreFixture(), b = try StoreFixture()
        let first = try a.store.resolve("busybox").manifestDigest
        #expect(try b.store.resolve("busybox").manifestDigest == first)
        // Making it again from the same rootfs changes nothing.
        try a.store.importBuiltin()
        #expect(try a.store.resolve("busybox").manifestDigest == first)
        #expect(try a.store.unreferencedBlobs().isEmpty)
    }

    @Test func builtinImageFollowsItsRootfsButNotAUsersBusybox() throws {
        let f = try StoreFixture()
        let old = try f.store.resolve("busybox")
        try StoreFixture.writeBuiltinRootfs(f.home.url, version: "busybox 1.1 rootfs test", extra: "new")
        let new = try f.store.resolve("busybox:latest")
        #expect(new.manifestDigest != old.manifestDigest)
        #expect(!f.store.blobs.contains(old.manifestDigest))
        #expect(try f.store.unreferencedBlobs().isEmpty)

        // A busybox:latest the user loaded wins over the built-in one.
        let app = try f.loadFixture()
        try f.store.tag("app:v4", as: "busybox")
        try StoreFixture.writeBuiltinRootfs(f.home.url, version: "busybox 1.2 rootfs test")
        #expect(try f.store.resolve("busybox").manifestDigest == app.manifestDigest)
    }

    @Test func noBuiltinRootfsMeansNoSuchImage() throws {
        let f = try StoreFixture(builtinVersion: nil)
        #expect(throws: ImageError.noSuchImage("busybox")) { try f.store.resolve("busybox") }
        #expect(throws: ImageError.builtinRootfsMissing(f.builtinRootfs.path)) { try f.store.importBuiltin() }
        #expect(try f.store.list().isEmpty)
    }

    @Test(.enabled(if: Tools.imageTools)) func otherToolsReadTheStore() throws {
        let f = try StoreFixture()
        let image = try f.store.resolve("busybox")
        let layout = f.store.layout.path
        let raw = try Shell.run("skopeo inspect --raw oci:\(layout):docker.io/library/busybox:latest")
        #expect(Digest.sha256(Data(raw.utf8)) == image.manifestDigest)
        let tags = try Shell.run("umoci ls --layout \(layout)")
        #expect(tags.contains("docker.io/library/busybox:latest"))
        // A round trip through a real tool's docker-archive gives the same content back.
        let archive = f.home.path("busybox.tar").path
        try Shell.run("skopeo copy -q oci:\(layout):docker.io/library/busybox:latest docker-archive:\(archive):copy/busybox:rt")
        let loaded = try f.store.load(from: URL(fileURLWithPath: archive))
        #expect(loaded.first?.names.map(\.familiar) == ["copy/busybox:rt"])
        let copy = try f.store.resolve("copy/busybox:rt")
        #expect(copy.config.rootfs.diffIDs == image.config.rootfs.diffIDs)
        #expect(copy.configDigest == image.configDigest)
    }

    @Test(.enabled(if: Tools.imageTools)) func listTagAndRemove() throws {
        let f = try StoreFixture()
        let app = try f.loadFixture(as: "app:v4")
        try f.store.tag("app:v4", as: "registry.example:5000/team/app:prod")
        let rows = try f.store.list()
        #expect(rows.map { $0.name?.familiar ?? "-" } == ["app:v4", "busybox:latest", "registry.example:5000/team/app:prod"])
        #expect(rows[0].size == rows[2].size && rows[0].size! > 0)
        #expect(rows[1].builtin && !rows[0].builtin)
        #expect(rows[0].created != nil)

        #expect(try f.store.remove("app:v4") == [.untagged(try ImageReference(parsing: "app:v4"))])
        #expect(f.store.blobs.contains(app.manifestDigest))
        #expect(throws: ImageError.noSuchImage("app:v4")) { try f.store.resolve("app:v4") }
        let events = try f.store.remove("registry.example:5000/team/app:prod")
        #expect(events.last == .deleted(app.manifestDigest))
        for blob in app.manifest.blobs { #expect(!f.store.blobs.contains(blob.digest)) }
        #expect(!f.store.blobs.contains(app.manifestDigest))
        #expect(try f.store.unreferencedBlobs().isEmpty)
        #expect(try f.store.list().map { $0.name?.familiar } == ["busybox:latest"])
    }

    @Test(.enabled(if: Tools.imageTools)) func removeByDigestDropsEveryTag() throws {
        let f = try StoreFixture()
        let app = try f.loadFixture(as: "app:v4")
        try f.store.tag("app:v4", as: "app:other")
        let events = try f.store.remove(app.manifestDigest.short)
        #expect(Set(events) == [.untagged(try ImageReference(parsing: "app:v4")), .untagged(try ImageReference(parsing: "app:other")),
                                .deleted(app.manifestDigest)])
        #expect(throws: ImageError.noSuchImage("nothing:here")) { try f.store.remove("nothing:here") }
        #expect(throws: ImageError.badReference("UPPER", "repository names must be lowercase")) { try f.store.resolve("UPPER") }
    }

    @Test(.enabled(if: Tools.imageTools)) func removeRefusesAnImageInUseUnlessForced() throws {
        let f = try StoreFixture()
        let app = try f.loadFixture()
        try f.markRunning(app, id: "c0ffee123456")
        try f.store.tag("app:v4", as: "app:second")
        // Untagging while another tag remains is fine…
        #expect(try f.store.remove("app:second").count == 1)
        // …removing the last one is not.
        #expect(throws: ImageError.imageInUse("app:v4", runs: ["c0ffee123456"])) { try f.store.remove("app:v4") }
        #expect(try f.store.resolve("app:v4").manifestDigest == app.manifestDigest)
        let events = try f.store.remove("app:v4", force: true)
        #expect(events.last == .deleted(app.manifestDigest))
    }

    @Test func crashLeftoversAreCleanedOnTheNextWrite() throws {
        let f = try StoreFixture()
        _ = try f.store.resolve("busybox")
        let temp = f.store.temp.root
        let dead = temp.appendingPathComponent("999999999-dead.blob")   // above any pid_max
        let deadDir = temp.appendingPathComponent("999999998-dead")
        let mine = f.store.temp.path(".blob")
        try Data("partial".utf8).write(to: dead)
        try FileManager.default.createDirectory(at: deadDir.appendingPathComponent("archive/blobs"), withIntermediateDirectories: true)
        try Data("live".utf8).write(to: mine)
        try f.store.garbageCollect()
        #expect(!FileManager.default.fileExists(atPath: dead.path))
        #expect(!FileManager.default.fileExists(atPath: deadDir.path))
        #expect(FileManager.default.fileExists(atPath: mine.path))
        try FileManager.default.removeItem(at: mine)
    }

    @Test(.enabled(if: Tools.imageTools)) func concurrentLoadsAllLand() async throws {
        let f = try StoreFixture()
        let archive = try Fixture.get().dockerArchive
        let store = f.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<6 {
                group.addTask { try store.load(from: archive, name: "app:c\(i)") }
            }
            group.addTask { _ = try store.resolve("busybox") }
            try await group.waitForAll()
        }
        let names = try f.store.list().compactMap { $0.name?.familiar }
        #expect(names == (0..<6).map { "app:c\($0)" } + ["busybox:latest"])
        #expect(try f.store.unreferencedBlobs().isEmpty)
        #expect(f.store.temp.isEmpty())
    }

    @Test(.enabled(if: Tools.imageTools)) func layoutTaggedOnlyByTagNeedsAName() throws {
        let f = try StoreFixture()
        let layout = try Fixture.get().layout
        let loaded = try f.store.load(from: layout)
        // No name: stored untagged, reachable by digest.
        #expect(loaded.count == 5 && loaded.allSatisfy { $0.names.isEmpty })
        #expect(try f.store.list().filter { $0.name == nil }.count == 5)
        #expect(throws: ImageError.nameNeedsSingleImage("app:x", count: 5)) { try f.store.load(from: layout, name: "app:x") }
        try f.store.load(from: layout, name: "app")
        // Naming them replaces the untagged entries.
        #expect(try f.store.list().map { $0.name?.familiar ?? "<none>" }
                    == ["app:base", "app:v1", "app:v2", "app:v3", "app:v4", "busybox:latest"])
        #expect(try f.store.unreferencedBlobs().isEmpty)
    }

    @Test(.enabled(if: Tools.imageTools)) func multiPlatformIndexYieldsTheAmd64Image() throws {
        let f = try StoreFixture()
        let dir = try TempDir()
        let layout = try Fixture.get().layoutCopy(in: dir)
        // An arm64 sibling made by umoci, then an index over both, as a registry would serve.
        try Shell.run("umoci config --image '\(layout.path)':v4 --architecture arm64 --tag arm64 >/dev/null")
        let index = try OCIIndex.decode(try Data(contentsOf: layout.appendingPathComponent("index.json")), what: "i")
        func entry(_ tag: String, _ arch: String) throws -> OCIDescriptor {
            var d = try #require(index.manifests.first { $0.refName == tag })
            d.annotations = nil
            d.platform = OCIPlatform(architecture: arch, os: "linux")
            return d
        }
        let multi = OCIIndex(manifests: [try entry("arm64", "arm64"), try entry("v4", "amd64")])
        let multiData = try JSONCoding.encode(multi)
        let multiDigest = Digest.sha256(multiData)
        try multiData.write(to: layout.appendingPathComponent("blobs/sha256/\(multiDigest.hex)"))
        let top = OCIIndex(manifests: [OCIDescriptor(mediaType: MediaType.ociIndex, digest: multiDigest, size: Int64(multiData.count),
                                                     annotations: [OCIAnnotation.refName: "example.com/multi:1"])])
        try JSONCoding.encode(top).write(to: layout.appendingPathComponent("index.json"))

        let loaded = try f.store.load(from: layout)
        let v4 = try #require(index.manifests.first { $0.refName == "v4" })
        #expect(loaded == [LoadedImage(names: [try ImageReference(parsing: "example.com/multi:1")], manifestDigest: v4.digest)])
        #expect(try f.store.resolve("example.com/multi:1").config.architecture == "amd64")
    }
}
