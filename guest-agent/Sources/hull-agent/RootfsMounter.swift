import Glibc
import Synchronization

/// Mounts the container's root disk (ext4 on a virtio block device) once, at a fixed
/// place. A container's child clones that mount and builds its own /proc, /dev and /sys;
/// a process chrooted there without a runtime spec gets the guest's pseudo filesystems.
final class RootfsMounter: Sendable {
    static let mountPoint = "/run/hull/rootfs"

    /// `--storage-opt size`: the image's disk read-only here, the writable disk there.
    static let lowerPoint = "/run/hull/lower"
    static let writablePoint = "/run/hull/writable"

    private struct State {
        /// The device mounted at `mountPoint`, once one is.
        var device: String?
        var pseudoFilesystems = false
    }

    private let state = Mutex(State())

    /// The root directory for containers on `device`, mounting it on first use; with
    /// `writable`, an overlay of `device` (read-only) under that disk's `upper/`.
    func root(for device: String, writable: String? = nil) throws(AgentError) -> String {
        try state.withLock { (s: inout State) throws(AgentError) -> String in
            try mountOnce(device, writable: writable, &s)
        }
    }

    /// The root directory for a process chrooted onto `device` (no runtime spec), with the
    /// guest's /proc, /sys and /dev inside it.
    func chrootRoot(for device: String) throws(AgentError) -> String {
        try state.withLock { (s: inout State) throws(AgentError) -> String in
            let root = try mountOnce(device, &s)
            if !s.pseudoFilesystems {
                mountPseudoFilesystems(under: root)
                s.pseudoFilesystems = true
            }
            return root
        }
    }

    private func mountOnce(_ device: String, writable: String? = nil, _ s: inout State) throws(AgentError) -> String {
        if let current = s.device {
            guard current == device else {
                throw AgentError("root device \(device) requested, but \(current) is already the root")
            }
            return RootfsMounter.mountPoint
        }
        if let writable {
            try mountDisk(device, at: RootfsMounter.lowerPoint, flags: UInt(MS_RDONLY))
            try mountDisk(writable, at: RootfsMounter.writablePoint, flags: 0)
            try mountOverlay()
        } else {
            try mountDisk(device, at: RootfsMounter.mountPoint, flags: 0)
        }
        s.device = device
        return RootfsMounter.mountPoint
    }

    /// The image below, read-only; what the container writes lands on the writable disk,
    /// whose size is the limit (ENOSPC inside when it is full).
    private func mountOverlay() throws(AgentError) {
        let upper = RootfsMounter.writablePoint + "/upper", work = RootfsMounter.writablePoint + "/work"
        do {
            try FileIO.makeDirectories(upper)
            try FileIO.makeDirectories(work)
            try FileIO.makeDirectories(RootfsMounter.mountPoint)
        } catch {
            throw AgentError("\(error)")
        }
        let options = "lowerdir=\(RootfsMounter.lowerPoint),upperdir=\(upper),workdir=\(work)"
        if mount("overlay", RootfsMounter.mountPoint, "overlay", 0, options) != 0 && errno != EBUSY {
            throw AgentError("\(SystemError("mount overlay (\(options)) on \(RootfsMounter.mountPoint)"))")
        }
        Log.info("root filesystem: overlay of \(RootfsMounter.lowerPoint) (read-only) and \(RootfsMounter.writablePoint)")
    }

    private func mountDisk(_ device: String, at target: String, flags: UInt) throws(AgentError) {
        // virtio_blk probes while its module loads, but give a late disk a moment.
        let deadline = ContinuousClock.now + .seconds(5)
        while access(device, F_OK) != 0 && ContinuousClock.now < deadline {
            usleep(10_000)
        }
        do {
            try FileIO.makeDirectories(target)
        } catch {
            throw AgentError("\(error)")
        }
        if mount(device, target, "ext4", flags, nil) != 0 && errno != EBUSY {
            throw AgentError("\(SystemError("mount \(device) (ext4) on \(target)"))")
        }
        Log.info("root filesystem: \(device) on \(target)")
    }

    /// /proc, /sys and the guest's /dev (with /dev/pts and /dev/shm) inside the root.
    /// Failures are logged only: a process that needs none of them still runs.
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
