import Glibc

/// The pseudo filesystems a guest needs before anything else; /proc is mounted by /init
/// because the Swift runtime reads it while starting.
enum GuestMounts {
    private struct Mount {
        let source: String
        let target: String
        let type: String
        let flags: Int
        let data: String?
    }

    private static let mounts = [
        Mount(source: "sysfs", target: "/sys", type: "sysfs", flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: nil),
        Mount(source: "devtmpfs", target: "/dev", type: "devtmpfs", flags: MS_NOSUID, data: "mode=0755"),
        Mount(source: "devpts", target: "/dev/pts", type: "devpts", flags: MS_NOSUID | MS_NOEXEC,
              data: "newinstance,ptmxmode=0666,mode=0620,gid=5"),
        Mount(source: "shm", target: "/dev/shm", type: "tmpfs", flags: MS_NOSUID | MS_NODEV, data: "mode=1777"),
        Mount(source: "tmpfs", target: "/run", type: "tmpfs", flags: MS_NOSUID | MS_NODEV, data: "mode=0755"),
        Mount(source: "tmpfs", target: "/tmp", type: "tmpfs", flags: MS_NOSUID | MS_NODEV, data: "mode=1777"),
    ]

    /// Mounts what is not mounted yet; failures are logged, not fatal: the channel may
    /// still come up and the host then sees the error of whatever needed the mount.
    static func mountAll() {
        for m in mounts {
            do {
                try FileIO.makeDirectories(m.target)
            } catch {
                Log.info("\(error)")
                continue
            }
            if mount(m.source, m.target, m.type, UInt(m.flags), m.data) != 0 && errno != EBUSY {
                Log.info("\(SystemError("mount \(m.type) on \(m.target)"))")
            }
        }
        // What programs expect to find in /dev that devtmpfs does not create.
        for (link, target) in [("/dev/fd", "/proc/self/fd"), ("/dev/stdin", "/proc/self/fd/0"),
                               ("/dev/stdout", "/proc/self/fd/1"), ("/dev/stderr", "/proc/self/fd/2")] {
            _ = symlink(target, link)
        }
    }
}
