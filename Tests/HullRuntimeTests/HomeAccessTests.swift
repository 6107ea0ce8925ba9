import Foundation
import Glibc
import Testing
@testable import HullRuntime

/// Issue 19: an older install's modes are repaired at hulld's start; QEMU's group gets
/// exactly the guest files; image contents keep their own modes.
@Suite("HULL_HOME modes")
struct HomeAccessTests {
    func mode(_ path: String) -> (mode: mode_t, gid: gid_t) {
        var st = stat()
        _ = lstat(path, &st)
        return (st.st_mode & 0o7777, st.st_gid)
    }

    func write(_ path: String, mode: mode_t, contents: String = "API_TOKEN=s3cr3t") throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
    }

    @Test("an older layout's 0644 files and 0755 folders are repaired, and the repair is logged once")
    func repairOlderLayout() throws {
        let home = "/tmp/hull-home-access-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: home) }
        let old: [(String, mode_t)] = [
            ("hulld.sqlite", 0o644), ("auth.json", 0o600), ("containers/abc/main.0.log", 0o644),
            ("run/abc/config.json", 0o644), ("run/abc/image", 0o644), ("run/vm1/config.json", 0o644),
            ("run/vm1/rootfs.qcow2", 0o644), ("run/vm1/rootfs.ext4", 0o644), ("disks/1234.ext4", 0o644),
            ("kernel/vmlinuz", 0o644), ("kernel/config", 0o644), ("guest/initramfs.cpio.gz", 0o644),
            ("guest/hull-agent", 0o755), ("oci/blobs/sha256/ff", 0o644),
            ("trees/ff.tree/etc/passwd", 0o644), ("run/abc/rootfs/etc/passwd", 0o644), ("probe/hull-probe", 0o755),
        ]
        for (path, m) in old { try write("\(home)/\(path)", mode: m) }
        for dir in ["", "/run", "/run/abc", "/run/vm1", "/containers", "/trees/ff.tree", "/run/abc/rootfs"] { chmod(home + dir, 0o755) }
        let paths = HullPaths(home: URL(fileURLWithPath: home))

        #expect(!HomeAccess.worldAccessible(paths).isEmpty)
        let changes = HomeAccess.repair(paths)
        #expect(changes.contains { $0.path == "\(home)/hulld.sqlite" && $0.from.hasPrefix("644") && $0.to.hasPrefix("600") })

        let qemu = try #require(HomeAccess.qemuAccount(), "libvirt's QEMU account (libvirt-qemu) is missing: run scripts/setup.sh")
        for secret in ["hulld.sqlite", "auth.json", "containers/abc/main.0.log", "run/abc/config.json", "run/abc/image",
                       "run/vm1/config.json", "kernel/config", "oci/blobs/sha256/ff"] {
            #expect(mode("\(home)/\(secret)").mode == 0o600, "\(secret): \(String(mode("\(home)/\(secret)").mode, radix: 8))")
        }
        #expect(mode("\(home)/guest/hull-agent").mode == 0o700)
        for dir in ["containers", "containers/abc", "run/abc", "oci", "trees"] {
            #expect(mode("\(home)/\(dir)").mode == 0o700, "\(dir)")
        }
        // QEMU's way to the guest files: traverse, read the shared ones, write its overlay.
        for (path, m) in [("", 0o710), ("run", 0o710), ("run/vm1", 0o710), ("disks", 0o710), ("kernel", 0o710), ("guest", 0o710),
                          ("kernel/vmlinuz", 0o640), ("guest/initramfs.cpio.gz", 0o640), ("disks/1234.ext4", 0o640),
                          ("run/vm1/rootfs.qcow2", 0o660), ("run/vm1/rootfs.ext4", 0o640)] as [(String, mode_t)] {
            let got = mode(path.isEmpty ? home : "\(home)/\(path)")
            #expect(got.mode == m && got.gid == qemu.gid, "\(path): \(String(got.mode, radix: 8)) gid \(got.gid)")
        }
        // Image and container contents keep the image's modes (behind 0700 folders).
        #expect(mode("\(home)/trees/ff.tree/etc/passwd").mode == 0o644)
        #expect(mode("\(home)/trees/ff.tree").mode == 0o755)
        #expect(mode("\(home)/run/abc/rootfs").mode == 0o755)
        #expect(mode("\(home)/probe/hull-probe").mode == 0o755)

        #expect(HomeAccess.worldAccessible(paths).isEmpty, "\(HomeAccess.worldAccessible(paths))")
        #expect(HomeAccess.repair(paths).isEmpty, "a second repair changes nothing")
    }
}
