import Foundation
import Glibc

extension HomeAccess {
    /// Folders holding an image's or a container's own files: their modes are the image's
    /// (a container's / must stay 0755 and its /etc/passwd 0644 inside it), so the walk
    /// leaves them and what is in them alone. They sit below 0700 folders.
    static func isImageContent(_ relative: [Substring]) -> Bool {
        switch relative.count {
        // Work in progress too: unpacked layers on their way to a disk or tree
        // (oci/.hull-tmp), setup's staging folders (cache/): behind 0700 folders.
        case 2: return relative[0] == "trees" || relative[0] == "cache" || (relative[0] == "images" && relative[1] == "busybox")
                    || (relative[0] == "oci" && relative[1] == ".hull-tmp")
        case 3: return relative[0] == "run" && ["rootfs", "rootfs-tree"].contains(relative[2])
        default: return false
        }
    }

    /// The mode (and whether QEMU's group owns it) an entry of $HULL_HOME must have;
    /// nil leaves it as it is. `isVMRun`: a run folder with a qcow2 overlay in it.
    static func target(_ relative: [Substring], isDirectory: Bool, current: mode_t, isVMRun: Bool) -> (mode: mode_t, qemu: Bool)? {
        let path = relative.joined(separator: "/")
        switch path {
        case "", "run", "disks", "kernel", "guest": return (0o710, true)
        case "kernel/vmlinuz", "guest/initramfs.cpio.gz": return (0o640, true)
        // The isolation probe is bind-mounted into runc/runsc containers and run there by
        // any user; it holds nothing secret.
        case "probe", "probe/hull-probe": return (0o755, false)
        default: break
        }
        if relative.count == 2, relative[0] == "disks", relative[1].hasSuffix(".ext4") { return (0o640, true) }
        if relative.count == 2, relative[0] == "run", isDirectory { return isVMRun ? (0o710, true) : (0o700, false) }
        if relative.count == 3, relative[0] == "run", isVMRun {
            if relative[2].hasSuffix(".qcow2") { return (0o660, true) }
            if relative[2].hasSuffix(".ext4") { return (0o640, true) }
        }
        return (isDirectory ? 0o700 : current & 0o700, false)
    }

    /// Checks and repairs every mode under $HULL_HOME (hulld at start): an older layout's
    /// 0644 configs and 0755 folders become root's alone, QEMU's paths get its group.
    /// Returns what it changed, for the log.
    @discardableResult
    public static func repair(_ paths: HullPaths) -> [Change] {
        let qemuGroup = qemuAccount()?.gid
        var changes: [Change] = []
        walk(paths.home) { relative, path, st in
            let isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
            let isVMRun = relative.count >= 2 && relative[0] == "run"
                && FileManager.default.fileExists(atPath: paths.runs.appendingPathComponent(String(relative[1])).appendingPathComponent("rootfs.qcow2").path)
            guard let want = target(relative, isDirectory: isDirectory, current: st.st_mode & 0o7777, isVMRun: isVMRun) else { return }
            let group: gid_t? = want.qemu ? (qemuGroup ?? 0) : nil
            let mode = want.qemu && qemuGroup == nil ? want.mode & 0o700 : want.mode
            if let change = set(path, mode: mode, group: group) { changes.append(change) }
        }
        // A test's home links the host's kernel and initramfs: those need QEMU's access too.
        changes += grantGuestFiles(paths)
        return changes
    }

    /// Entries under $HULL_HOME that other users can actually read or write — their mode
    /// allows it and every folder on the way lets them through (image contents and the
    /// probe excepted) — for `hull doctor`; at most `limit` of them. A runtime's 0644 pid
    /// file inside a 0700 run folder is nobody else's business.
    public static func worldAccessible(_ paths: HullPaths, limit: Int = 20) -> [String] {
        var found: [String] = []
        var traversable: Set<[Substring]> = []   // folders others may pass through, from / on
        // Others reach $HULL_HOME only when every folder above it lets them through.
        var homeReachable = true
        var folder = paths.home.resolvingSymlinksInPath()
        repeat {
            folder.deleteLastPathComponent()
            var st = stat()
            if stat(folder.path, &st) != 0 || st.st_mode & 0o001 == 0 { homeReachable = false }
        } while homeReachable && folder.path != "/"
        walk(paths.home) { relative, path, st in
            guard found.count < limit, relative.first != "probe" else { return }
            let parentPasses = relative.isEmpty ? homeReachable : traversable.contains(Array(relative.dropLast()))
            guard parentPasses else { return }
            let isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
            if isDirectory, st.st_mode & 0o001 != 0 { traversable.insert(relative) }
            if st.st_mode & 0o006 != 0 { found.append("\(path) (\(String(st.st_mode & 0o7777, radix: 8)))") }
        }
        return found
    }

    /// Every entry below `home` (home first), never following symlinks and not descending
    /// into image contents.
    static func walk(_ home: URL, _ visit: (_ relative: [Substring], _ path: String, _ st: stat) -> Void) {
        var pending: [[Substring]] = [[]]
        let base = home.resolvingSymlinksInPath().path   // a HULL_HOME that is a symlink: its target
        while let relative = pending.popLast() {
            let path = relative.isEmpty ? base : base + "/" + relative.joined(separator: "/")
            var st = stat()
            guard !isImageContent(relative), lstat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFLNK else { continue }
            visit(relative, path, st)
            guard (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                pending.append(relative + [Substring(name)])
            }
        }
    }
}
