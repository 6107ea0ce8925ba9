import Foundation
import Testing
@testable import HullImages

/// Real multi-layer images (see Fixture) loaded in each of the three input formats and
/// unpacked: the resulting tree must match exactly.
@Suite(.enabled(if: Tools.imageTools && Tools.root, "needs umoci, skopeo and root"))
struct LayerTests {
    func loadAndUnpack(_ source: URL, name: String? = nil, expectName: String) throws -> [String] {
        let home = try TempDir()
        let store = ImageStore(home: home.url)
        let loaded = try store.load(from: source, name: name)
        #expect(loaded.contains { $0.names.map(\.familiar).contains(expectName) })
        let image = try store.resolve(expectName)
        #expect(image.manifest.layers.count == 4)
        #expect(image.config.config?.cmd == ["sh"])
        let rootfs = home.path("rootfs")
        try store.unpack(image, into: rootfs)
        #expect(try store.unreferencedBlobs().isEmpty)
        #expect(store.temp.isEmpty())
        return try TreeListing.list(rootfs)
    }

    @Test func ociLayoutDirectory() throws {
        let fixture = try Fixture.get()
        // The layout names its five images by tag only (base, v1…v4): --name gives the repository.
        let tree = try loadAndUnpack(fixture.layout, name: "fixture", expectName: "fixture:v4")
        #expect(tree == Fixture.expectedTree)
    }

    @Test func ociArchiveWrittenBySkopeo() throws {
        let fixture = try Fixture.get()
        let tree = try loadAndUnpack(fixture.ociArchive, expectName: Fixture.archiveName)
        #expect(tree == Fixture.expectedTree)
    }

    @Test func dockerArchiveWrittenBySkopeo() throws {
        let fixture = try Fixture.get()
        let tree = try loadAndUnpack(fixture.dockerArchive, expectName: Fixture.archiveName)
        #expect(tree == Fixture.expectedTree)
    }

    @Test func intermediateLayersApplyTheirOwnWhiteouts() throws {
        let fixture = try Fixture.get()
        let home = try TempDir()
        let store = ImageStore(home: home.url)
        try store.load(from: fixture.layout, name: "fixture")
        let v1 = try TreeListing.list(try unpacked(store, "fixture:v1", home))
        #expect(v1.contains("etc/gone file 644 0:0 \"gone\\n\""))
        #expect(v1.contains("data/h2 file 644 0:0 \"hl\\n\" nlink=2"))
        #expect(v1.contains("replace file 644 0:0 \"f\\n\""))
        let v2 = try TreeListing.list(try unpacked(store, "fixture:v2", home))
        #expect(!v2.contains { $0.hasPrefix("etc/gone ") || $0.hasPrefix("gonedir") })
        #expect(v2.contains("replace/file file 644 0:0 \"in\\n\""))
        #expect(v2.contains("dirtofile file 644 0:0 \"nowfile\\n\""))
        #expect(v2.contains("opaque/sub/deep file 644 0:0 \"deep\\n\""))
        let v3 = try TreeListing.list(try unpacked(store, "fixture:v3", home))
        #expect(v3.filter { $0.hasPrefix("opaque/") } == ["opaque/c file 644 0:0 \"c\\n\""])
    }

    /// Debian's umoci refuses zstd layers; the unpacker decompresses them for it. The same
    /// image recompressed with zstd by skopeo must give the same tree.
    @Test func zstdLayersUnpackToTheSameTree() throws {
        let fixture = try Fixture.get()
        let home = try TempDir()
        let zstdLayout = home.path("zstd-layout")
        try Shell.run("skopeo copy --quiet --dest-compress-format zstd 'oci:\(fixture.layout.path):v4' 'oci:\(zstdLayout.path):v4'")
        let manifest = try Shell.run("skopeo inspect --raw 'oci:\(zstdLayout.path):v4'")
        #expect(manifest.contains(MediaType.ociLayerZstd) && !manifest.contains(MediaType.ociLayerGzip))
        let tree = try loadAndUnpack(zstdLayout, name: "zstd", expectName: "zstd:v4")
        #expect(tree == Fixture.expectedTree)
    }

    private func unpacked(_ store: ImageStore, _ ref: String, _ home: TempDir) throws -> URL {
        let dir = home.path("unpacked-\(ref.replacingOccurrences(of: ":", with: "-"))")
        try store.unpack(try store.resolve(ref), into: dir)
        return dir
    }

    /// The same tree, one level further: mkfs.ext4 -d must carry it into the disk image.
    @Test(.enabled(if: Tools.diskTools)) func rootDiskKeepsOwnershipModesLinksAndXattrs() throws {
        let fixture = try Fixture.get()
        let home = try TempDir()
        let store = ImageStore(home: home.url)
        try store.load(from: fixture.dockerArchive)
        let disk = try store.rootfsDisk(for: try store.resolve(Fixture.archiveName))
        func debugfs(_ request: String) throws -> String {
            try Shell.run("debugfs -R '\(request)' '\(disk.path)' 2>/dev/null")
        }
        #expect(try debugfs("stat /suid").contains("Mode:  04755"))
        #expect(try debugfs("stat /owned").contains("User:  1234   Group:  5678"))
        #expect(try debugfs("stat /data/y2").contains("Links: 2"))
        let xattr = try debugfs("stat /xattr")
        #expect(xattr.contains("user.hull (3) = \"yes\"") && xattr.contains("trusted.hull (2) = \"tr\""))
        #expect(try debugfs("cat /etc/keep") == "keep2\n")
        #expect(try debugfs("stat /lnk").contains("Fast link dest: \"etc/keep\""))
        let listing = try debugfs("ls -p /etc")
        #expect(!listing.contains("/gone/"))
        #expect(!(try debugfs("ls -p /")).contains("/gonedir/"))
    }
}
