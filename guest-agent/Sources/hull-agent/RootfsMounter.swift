import Glibc
import Synchronization

/// Mounts the container's root disk (ext4 on a virtio block device) once, at a fixed
/// place, with the pseudo filesystems a process expects inside it.
final class RootfsMounter: Sendable {
    static let mountPoint = "/run/hull/rootfs"
    /// The device mounted at `mountPoint`, once one is.
    private let mounted = Mutex<String?>(nil)

    /// The root directory for processes on `device`, mounting it on first use.
    func root(for device: String) throws(AgentError) -> String {
        try mounted.withLock { (current: inout String?) throws(AgentError) -> String in
            if let current {
                guard current == device else {
                    throw AgentError("root device \(device) requested, but \(current) is already the root")
                }
                return RootfsMounter.mountPoint
            }
            try mountDisk(device)
            current = device
            return RootfsMounter.mountPoint
        }
    }

    private func mountDisk(_ device: String) throws(AgentError) {
        // virtio_blk probes while its module loads, but give a late disk a moment.
        let deadline = ContinuousClock.now + .seconds(5)
        while access(device, F_OK) != 0 && ContinuousClock.now < deadline {
            usleep(10_000)
        }
        let target = RootfsMounter.mountPoint
        do {
            try FileIO.makeDirectories(target)
        } catch {
            throw AgentError("\(error)")
        }
        if mount(device, target, "ext4", 0, nil) != 0 && errno != EBUSY {
            throw AgentError("\(SystemError("mount \(device) (ext4) on \(target)"))")
        }
        Log.info("root filesystem: \(device) on \(target)")
        mountPseudoFilesystems(under: target)
    }

    /// /proc, /sys and the guest's /dev (with /dev/pts and /dev/shm) inside the root.
    /// Failures are logged only: a process that needs none of them still runs.
    /// (With namespaces and pivot_root these become the spec's mounts.)
    private func mountPseudoFilesystems(under root: String) {
        let mounts: [(source: String, target: String, type: String?, flags: Int)] = [
            ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC),
            ("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY),
            ("/dev", "/dev", nil, MS_BIND | MS_REC),
        ]
        for m in mounts {
            let target = root + m.target
            do {
                try FileIO.makeDirectories(target)
            } catch {
                Log.info("\(error)")
                continue
            }
            // The image is not ours: a symlink there would move the mount out of the root.
            var info = stat()
            guard lstat(target, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                Log.info("\(target) is not a directory; not mounting \(m.source) there")
                continue
            }
            if mount(m.source, target, m.type, UInt(m.flags), nil) != 0 && errno != EBUSY {
                Log.info("\(SystemError("mount \(m.source) on \(target)"))")
            }
        }
    }
}
