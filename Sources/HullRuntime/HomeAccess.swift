import Foundation
import Glibc

/// Who may open what under $HULL_HOME (docs/security.md). Everything is root's alone
/// (what holds secrets is created 0600 — PrivateFile — and folders 0700; what runtimes
/// write sits behind them), except the few paths
/// QEMU opens as libvirt's unprivileged account: the folders on the way to them are
/// 0710 root:<qemu group> (traverse, not list), the kernel, initramfs and the shared
/// base disks 0640, a guest's own overlay 0660. libvirt relabels nothing (the domain's
/// static DAC label, DomainSpec.qemuAccount), so no QEMU ever owns a shared file.
public enum HomeAccess {
    /// The account libvirt runs QEMU as: Debian's libvirt-qemu, elsewhere qemu.
    public struct QEMUAccount: Sendable, Equatable {
        public var uid: uid_t
        public var gid: gid_t
    }

    /// The group is the account's own (Debian: group libvirt-qemu), not its primary group
    /// (Debian: kvm, which users who run their own VMs share).
    public static func qemuAccount() -> QEMUAccount? {
        for name in ["libvirt-qemu", "qemu"] {
            guard let user = getpwnam(name) else { continue }
            let gid = getgrnam(name)?.pointee.gr_gid ?? user.pointee.pw_gid
            return QEMUAccount(uid: user.pointee.pw_uid, gid: gid)
        }
        return nil
    }

    /// One mode or owner repaired, for hulld's log.
    public struct Change: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var from: String
        public var to: String
        public var description: String { "\(path): \(from) → \(to)" }
    }

    /// Makes `path` (never a symlink's target) `mode`; with a `group`, also owned by root
    /// and that group (QEMU's paths: an older libvirt left some owned by libvirt-qemu).
    /// Without one the owner stays. nil when nothing changed, or it does not exist.
    @discardableResult
    static func set(_ path: String, mode: mode_t, group: gid_t?) -> Change? {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFLNK else { return nil }
        let current = st.st_mode & 0o7777
        let (uid, gid) = group.map { (uid_t(0), $0) } ?? (st.st_uid, st.st_gid)
        guard current != mode || st.st_uid != uid || st.st_gid != gid else { return nil }
        let before = Self.describe(mode: current, uid: st.st_uid, gid: st.st_gid)
        if st.st_uid != uid || st.st_gid != gid { _ = lchown(path, uid, gid) }
        _ = chmod(path, mode)
        return Change(path: path, from: before, to: Self.describe(mode: mode, uid: uid, gid: gid))
    }

    static func describe(mode: mode_t, uid: uid_t, gid: gid_t) -> String {
        "\(String(mode, radix: 8)) \(uid):\(gid)"
    }

    /// What QEMU opens, with the modes it needs; the paths that are symlinks (a test's
    /// home linking the host's kernel) are followed for the files and their own folder.
    static func guestEntries(_ paths: HullPaths) -> [(path: String, mode: mode_t)] {
        var entries: [(String, mode_t)] = [(paths.home.path, 0o710), (paths.runs.path, 0o710), (paths.disks.path, 0o710)]
        for file in [paths.kernel, paths.initramfs] {
            let real = file.resolvingSymlinksInPath()
            entries.append((real.deletingLastPathComponent().path, 0o710))
            entries.append((real.path, 0o640))
        }
        let disks = (try? FileManager.default.contentsOfDirectory(atPath: paths.disks.path)) ?? []
        for disk in disks where disk.hasSuffix(".ext4") {
            entries.append((paths.disks.appendingPathComponent(disk).path, 0o640))
        }
        return entries
    }

    /// Gives QEMU the shared files every guest needs (home, kernel, initramfs, base
    /// disks); nothing else. Cheap when already right: a stat per entry.
    @discardableResult
    public static func grantGuestFiles(_ paths: HullPaths) -> [Change] {
        guard let qemu = qemuAccount() else { return [] }
        return guestEntries(paths).compactMap { set($0.path, mode: $0.mode, group: qemu.gid) }
    }

    /// A vm container's run folder: QEMU traverses it and opens its own disks (the qcow2
    /// overlay read-write, an ext4 made from --rootfs read-only); the rest stays root's.
    @discardableResult
    public static func grantRunDirectory(_ directory: URL) -> [Change] {
        guard let qemu = qemuAccount() else { return [] }
        var changes: [Change] = []
        if let c = set(directory.path, mode: 0o710, group: qemu.gid) { changes.append(c) }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
            let path = directory.appendingPathComponent(name).path
            if name.hasSuffix(".qcow2") || name == WritableLayer.diskName, let c = set(path, mode: 0o660, group: qemu.gid) {
                changes.append(c)
            }
            if name.hasSuffix(".ext4"), name != WritableLayer.diskName, let c = set(path, mode: 0o640, group: qemu.gid) { changes.append(c) }
        }
        return changes
    }
}
