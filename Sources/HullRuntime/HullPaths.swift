import Foundation

/// Where Hull keeps its files. Everything lives under `HULL_HOME` (default /var/lib/hull)
/// so that QEMU, which libvirt runs as the `libvirt-qemu` user, can read the kernel,
/// initramfs and disks (a home directory like /root is not readable by it).
public struct HullPaths: Sendable {
    public var home: URL

    public init(home: URL? = nil) {
        if let home {
            self.home = home
        } else if let env = ProcessInfo.processInfo.environment["HULL_HOME"], !env.isEmpty {
            self.home = URL(fileURLWithPath: env)
        } else {
            self.home = URL(fileURLWithPath: "/var/lib/hull")
        }
    }

    public var kernel: URL { home.appendingPathComponent("kernel/vmlinuz") }
    public var kernelVersion: URL { home.appendingPathComponent("kernel/version") }
    public var initramfs: URL { home.appendingPathComponent("guest/initramfs.cpio.gz") }
    public var guestVersion: URL { home.appendingPathComponent("guest/version") }
    public var builtinRootfs: URL { home.appendingPathComponent("images/busybox/rootfs") }
    public var builtinRootfsVersion: URL { home.appendingPathComponent("images/busybox/version") }
    /// The image store, an OCI image layout (HullImages' ImageStore).
    public var imageLayout: URL { home.appendingPathComponent("oci") }
    /// Cached ext4 root disks, one per image manifest digest (`<hex>.ext4`).
    public var disks: URL { home.appendingPathComponent("disks") }
    /// One folder per live guest: control socket, console log, copy-on-write disk.
    public var runs: URL { home.appendingPathComponent("run") }
    /// Named volumes: `volumes/NAME/_data` (what containers see) and `volumes/NAME/volume.json`.
    public var volumes: URL { home.appendingPathComponent("volumes") }

    public func runDirectory(id: String) -> URL { runs.appendingPathComponent(id) }
}
