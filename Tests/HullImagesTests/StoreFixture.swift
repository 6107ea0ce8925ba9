import Foundation
@testable import HullImages

/// A store in a temporary HULL_HOME with a small built-in busybox rootfs, laid out as
/// guest-agent/build-busybox-rootfs.sh makes it.
struct StoreFixture {
    let home: TempDir
    let store: ImageStore

    init(builtinVersion: String? = "busybox 1.0 rootfs test") throws {
        home = try TempDir("hull-store-test")
        store = ImageStore(home: home.url)
        if let builtinVersion { try Self.writeBuiltinRootfs(home.url, version: builtinVersion) }
    }

    static func writeBuiltinRootfs(_ home: URL, version: String, extra: String = "") throws {
        let dir = home.appendingPathComponent("images/busybox")
        let busybox = FileManager.default.isExecutableFile(atPath: "/bin/busybox") ? "/bin/busybox" : "/bin/true"
        try Shell.run("""
            umask 022
            rm -rf '\(dir.path)/rootfs'
            mkdir -p '\(dir.path)/rootfs'/{bin,etc,usr/bin,root,tmp}
            cd '\(dir.path)/rootfs'
            cp '\(busybox)' bin/busybox
            ln -s busybox bin/sh
            ln -s ../../bin/busybox usr/bin/env
            printf 'root:x:0:0:root:/root:/bin/sh\\n' > etc/passwd
            printf '%s' '\(extra)' > etc/extra
            chmod 0700 root && chmod 1777 tmp
            find . -exec touch -h -d @0 {} +
            printf '%s\\n' '\(version)' > ../version
            """)
    }

    var builtinRootfs: URL { home.path("images/busybox/rootfs") }

    /// Loads the fixture's docker archive as `name`, an image other than busybox.
    @discardableResult
    func loadFixture(as name: String = "app:v4") throws -> ResolvedImage {
        try store.load(from: try Fixture.get().dockerArchive, name: name)
        return try store.resolve(name)
    }

    func markRunning(_ image: ResolvedImage, id: String) throws {
        let run = home.path("run/\(id)")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try store.markInUse(image, runDirectory: run)
    }

    func index() throws -> OCIIndex { try store.readIndex() }
}
