import Foundation
import Testing
@testable import HullImages

@Suite(.enabled(if: Tools.diskTools && Tools.root, "needs mkfs.ext4, qemu-img, debugfs and root"))
struct RootfsDiskTests {
    func identity(_ url: URL) throws -> (inode: UInt64, mtime: Date, digest: Digest) {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return ((attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0,
                attributes[.modificationDate] as? Date ?? .distantPast, try Digest.sha256(fileAt: url).digest)
    }

    @Test func builtOnceThenReusedAndNeverWrittenByOverlays() throws {
        let f = try StoreFixture()
        let image = try f.store.resolve("busybox")
        let first = try f.store.buildRootfsDisk(for: image)
        #expect(first.built)
        #expect(first.url.path == f.home.path("disks/\(image.manifestDigest.hex).ext4").path)
        let before = try identity(first.url)

        // A second container (and a second store object, as another process would have).
        let second = try ImageStore(home: f.home.url).buildRootfsDisk(for: try f.store.resolve("busybox"))
        #expect(!second.built && second.url == first.url)

        let runs = try TempDir()
        for i in 0..<2 {
            let overlay = runs.path("c\(i).qcow2")
            try DiskOverlay.create(base: second.url, at: overlay)
            let info = try Shell.run("qemu-img info --output=json '\(overlay.path)'")
            #expect(info.contains("\"backing-filename\": \"\(first.url.path)\""))
            #expect(info.contains("\"backing-filename-format\": \"raw\""))
            // An overlay is a few hundred KiB of metadata, not a copy of the base.
            let size = try #require(try FileManager.default.attributesOfItem(atPath: overlay.path)[.size] as? NSNumber).intValue
            #expect(size < 1 << 20)
        }
        let after = try identity(first.url)
        #expect(after.inode == before.inode && after.mtime == before.mtime && after.digest == before.digest)

        // The disk holds the image's files.
        let ls = try Shell.run("debugfs -R 'ls -p /bin' '\(first.url.path)' 2>/dev/null")
        #expect(ls.contains("/busybox/") && ls.contains("/sh/"))
        let mode = try Shell.run("debugfs -R 'stat /tmp' '\(first.url.path)' 2>/dev/null")
        #expect(mode.contains("Mode:  01777"))
        #expect(f.store.disks.all() == [image.manifestDigest])
        #expect(f.store.temp.isEmpty())
    }

    @Test func concurrentFirstStartsBuildOneDisk() async throws {
        let f = try StoreFixture()
        let image = try f.store.resolve("busybox")
        let home = f.home.url
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<4 { group.addTask { try ImageStore(home: home).buildRootfsDisk(for: image).built } }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: f.store.disks.directory.path)
            .filter { $0.hasPrefix(".partial") }
        #expect(leftovers.isEmpty)
    }

    @Test(.enabled(if: Tools.imageTools)) func diskGoesWithItsImageUnlessAContainerUsesIt() throws {
        let f = try StoreFixture()
        let app = try f.loadFixture(as: "app:v4")
        let disk = try f.store.rootfsDisk(for: app)
        try f.markRunning(app, id: "abc")
        try f.store.remove("app:v4", force: true)
        // The running container keeps its backing file…
        #expect(FileManager.default.fileExists(atPath: disk.path))
        // …until it is gone.
        try FileManager.default.removeItem(at: f.home.path("run/abc"))
        let report = try f.store.garbageCollect()
        #expect(report.removedDisks == [app.manifestDigest])
        #expect(!FileManager.default.fileExists(atPath: disk.path))
    }

    @Test(.enabled(if: Tools.imageTools)) func unpackedTreeCachedOnceCopiedPerContainerAndCollected() throws {
        let f = try StoreFixture()
        let app = try f.loadFixture(as: "app:v4")
        let runs = try TempDir()
        for i in 0..<2 {
            let rootfs = runs.path("c\(i)")
            try FileManager.default.createDirectory(at: rootfs, withIntermediateDirectories: true)
            try f.store.copyUnpacked(app, into: rootfs)
            #expect((try? String(contentsOf: rootfs.appendingPathComponent("etc/keep"), encoding: .utf8)) == "keep2\n")
        }
        #expect(f.store.trees.all() == [app.manifestDigest], "one cached tree for both containers")
        let tree = f.store.trees.path(for: app.manifestDigest)
        // A container writing into its copy leaves the cache alone.
        try Data("mine".utf8).write(to: runs.path("c0").appendingPathComponent("written-by-c0"))
        #expect(!FileManager.default.fileExists(atPath: tree.appendingPathComponent("written-by-c0").path))
        #expect(!FileManager.default.fileExists(atPath: runs.path("c1").appendingPathComponent("written-by-c0").path))
        // Removing the image collects its tree (no container marked it in use).
        try f.store.remove("app:v4", force: true)
        #expect(!FileManager.default.fileExists(atPath: tree.path))
        #expect(f.store.trees.all().isEmpty)
    }

    @Test func directoryAndTarballRootfs() throws {
        let dir = try TempDir()
        try Shell.run("""
            mkdir -p tree/etc tree/bin && echo hi > tree/etc/greeting && ln -s ../etc/greeting tree/bin/g
            chown 5:6 tree/etc/greeting
            tar -czf tree.tgz -C tree .
            """, in: dir.url)
        let fromDir = dir.path("dir.ext4"), fromTar = dir.path("tar.ext4")
        try Ext4DiskBuilder.build(from: dir.path("tree"), into: fromDir)
        try Ext4DiskBuilder.build(fromTarball: dir.path("tree.tgz"), scratch: dir.url, into: fromTar)
        for disk in [fromDir, fromTar] {
            #expect(try Shell.run("debugfs -R 'cat /etc/greeting' '\(disk.path)' 2>/dev/null") == "hi\n")
            #expect(try Shell.run("debugfs -R 'stat /etc/greeting' '\(disk.path)' 2>/dev/null").contains("User:     5   Group:     6"))
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: disk.path)[.posixPermissions] as? NSNumber)
            // Root's alone: the vm driver gives QEMU's group read access when a guest needs it.
            #expect(mode.intValue == 0o600)
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path("rootfs-tree").path))
        #expect(throws: ImageError.self) { try Ext4DiskBuilder.build(from: dir.path("nope"), into: dir.path("x.ext4")) }
        try Data("junk".utf8).write(to: dir.path("junk.tar"))
        #expect(throws: ImageError.self) {
            try Ext4DiskBuilder.build(fromTarball: dir.path("junk.tar"), scratch: dir.url, into: dir.path("y.ext4"))
        }
    }
}
