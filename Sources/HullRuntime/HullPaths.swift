import Foundation
import HullImages

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

    // MARK: libvirt domain names

    /// libvirt's domain names are host-wide, and every hulld (each test's too) has a
    /// HULL_HOME of its own: a guest is named `hull-<6 hex>-NAME`, the hex the start of
    /// sha256 of the canonical HULL_HOME path, so two homes never share (or see, or destroy)
    /// one another's domains. At most 12 + `InputLimits.maxNameLength` (64) = 76
    /// characters, far below the file names libvirt makes of it (`/run/libvirt/qemu/NAME.pid`);
    /// QEMU's own paths use libvirt's short name (`domain-ID-` + 20 characters).
    /// A record keeps the domain it was created with (`ContainerRecord.domain`): guests
    /// made before this scheme are still `hull-NAME`.
    public func domainName(for container: String) -> String { domainPrefix + container }

    /// What the names of this HULL_HOME's domains start with: `hull-<6 hex>-`.
    public var domainPrefix: String {
        "hull-" + Digest.sha256(Data(canonicalHome.utf8)).hex.prefix(6) + "-"
    }

    /// Whether a domain is one of this HULL_HOME's (named by `domainName(for:)`).
    public func ownsDomain(_ name: String) -> Bool { name.hasPrefix(domainPrefix) }

    /// HULL_HOME spelled one way: links resolved, no `.`, `..` or trailing `/` (a home not
    /// made yet: its path, standardized).
    var canonicalHome: String {
        guard let resolved = realpath(home.path, nil) else { return home.standardizedFileURL.path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
