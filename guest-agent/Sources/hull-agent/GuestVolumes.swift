import Glibc

/// Host folders shared into the guest with virtio-fs (`hull run -v` under vm). The host
/// names them on the kernel command line, `hull.volumes=0:ro,1:rw` (tag `hullvolN`; a
/// 6.1 kernel cannot list tags itself), and each is mounted at /run/hull/volumes/N before
/// the control channel opens; containers bind from there (their runtime spec says so).
/// A read-only volume is read-only twice: here, and on the host, where virtiofsd only
/// sees a read-only bind of the folder.
enum GuestVolumes {
    static let root = "/run/hull/volumes"

    struct Entry: Equatable {
        var index: Int
        var readOnly: Bool
        var tag: String { "hullvol\(index)" }
        var mountPoint: String { "\(GuestVolumes.root)/\(index)" }
    }

    /// `0:ro,1:rw` as entries; malformed items are skipped (logged by the caller's mount).
    static func parse(_ value: String?) -> [Entry] {
        guard let value, !value.isEmpty else { return [] }
        return value.split(separator: ",").compactMap { item in
            let parts = item.split(separator: ":")
            guard let first = parts.first, let index = Int(first), index >= 0, index < 1000 else { return nil }
            return Entry(index: index, readOnly: parts.count > 1 && parts[1] == "ro")
        }
    }

    static func mountAll(_ value: String?) {
        for entry in parse(value) {
            do {
                try FileIO.makeDirectories(entry.mountPoint)
            } catch {
                Log.info("volume \(entry.index): \(error)")
                continue
            }
            let flags = UInt(MS_NOSUID | MS_NODEV) | (entry.readOnly ? UInt(MS_RDONLY) : 0)
            // The virtio-fs device may still be probing right after the modules loaded.
            var attempts = 0
            while mount(entry.tag, entry.mountPoint, "virtiofs", flags, nil) != 0 {
                attempts += 1
                if attempts >= 100 {
                    Log.info("volume \(entry.index): \(SystemError("mount virtiofs \(entry.tag) on \(entry.mountPoint)"))")
                    break
                }
                usleep(20_000)
            }
        }
    }
}
