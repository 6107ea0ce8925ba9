import Foundation
import HullLibvirt

/// What this host offers Hull, in plain words: the answer to `hull doctor`.
public struct HostReport: Sendable {
    public enum Status: String, Sendable { case ok, warning, missing }

    public struct Check: Sendable {
        public var name: String
        public var status: Status
        public var detail: String
        /// What to do about a warning or a missing part.
        public var remedy: String?
    }

    public var checks: [Check]

    /// True when `hull run` can work here.
    public var canRun: Bool { !checks.contains { $0.status == .missing } }

    public static func gather(paths: HullPaths = HullPaths()) -> HostReport {
        var checks: [Check] = []
        checks.append(libvirtCheck())
        checks.append(accelerationCheck())
        if let kvm = kvmPermissionCheck() { checks.append(kvm) }
        checks.append(channelCheck())
        checks.append(fileCheck("guest kernel", paths.kernel, version: paths.kernelVersion))
        checks.append(fileCheck("guest image", paths.initramfs, version: paths.guestVersion))
        checks.append(fileCheck("built-in busybox rootfs", paths.builtinRootfs.appendingPathComponent("bin/busybox"),
                                version: paths.builtinRootfsVersion))
        for (tool, package) in [("/sbin/mkfs.ext4", "e2fsprogs"), ("/usr/bin/qemu-img", "qemu-utils"),
                                ("/usr/bin/umoci", "umoci"),
                                ("/usr/bin/qemu-system-x86_64", "qemu-system-x86"),
                                ("/usr/sbin/runc", "runc"), ("/usr/bin/runsc", "runsc")] {
            let present = FileManager.default.isExecutableFile(atPath: tool)
            checks.append(Check(name: URL(fileURLWithPath: tool).lastPathComponent, status: present ? .ok : .missing,
                                detail: present ? tool : "not installed",
                                remedy: present ? nil : "apt-get install \(package) (or run scripts/setup.sh)"))
        }
        let probe = paths.home.appendingPathComponent("probe/hull-probe")
        let probeThere = FileManager.default.isExecutableFile(atPath: probe.path)
        checks.append(Check(name: "isolation probe", status: probeThere ? .ok : .missing,
                            detail: probeThere ? probe.path : "\(probe.path) not found",
                            remedy: probeThere ? nil : "run scripts/setup.sh (probe/build-probe.sh)"))
        checks.append(homeAccessCheck(paths))
        return HostReport(checks: checks)
    }

    static func libvirtCheck() -> Check {
        do {
            let conn = try LibvirtConnection()
            return Check(name: "libvirt", status: .ok,
                         detail: "qemu:///system reachable (libvirt \(conn.libvirtVersion), QEMU \(conn.hypervisorVersion))")
        } catch {
            return Check(name: "libvirt", status: .missing, detail: "\(error)",
                         remedy: "install libvirt-daemon-system and start it: `virtlogd -d; libvirtd -d` without systemd (scripts/setup.sh does both)")
        }
    }

    static func accelerationCheck() -> Check {
        do {
            let choice = try AccelerationChoice.decide(override: nil)
            let status: Status = choice.domainType == .kvm ? .ok : .warning
            return Check(name: "acceleration", status: status, detail: choice.reason,
                         remedy: status == .ok ? nil : "guests run under TCG emulation: correct but several times slower; set HULL_ACCEL=kvm to force KVM")
        } catch {
            return Check(name: "acceleration", status: .missing, detail: "\(error)", remedy: "unset HULL_ACCEL or set it to kvm or tcg")
        }
    }

    /// Without udev, /dev/kvm stays root-only; libvirt then finds it unusable for the
    /// libvirt-qemu user, throws its QEMU capability cache away on every call and
    /// re-probes QEMU (measured: ~52 s per guest start instead of ~0.4 s).
    static func kvmPermissionCheck() -> Check? {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: "/dev/kvm") else { return nil }
        let mode = (attrs[.posixPermissions] as? Int) ?? 0
        let group = (attrs[.groupOwnerAccountName] as? String) ?? "?"
        if mode & 0o060 == 0o060 && group == "kvm" {
            return Check(name: "/dev/kvm access", status: .ok, detail: "mode \(String(mode, radix: 8)), group kvm")
        }
        return Check(name: "/dev/kvm access", status: .warning,
                     detail: "mode \(String(mode, radix: 8)), group \(group): libvirt re-probes QEMU on every guest start (~50 s each)",
                     remedy: "chgrp kvm /dev/kvm && chmod 0660 /dev/kvm (scripts/setup.sh does this)")
    }

    /// Containers' specs, logs and credentials live under $HULL_HOME: nothing there may be
    /// open to other users (docs/security.md); hulld repairs it at start.
    static func homeAccessCheck(_ paths: HullPaths) -> Check {
        let open = HomeAccess.worldAccessible(paths, limit: 5)
        if open.isEmpty {
            return Check(name: "HULL_HOME access", status: .ok,
                         detail: "nothing under \(paths.home.path) is open to other users")
        }
        return Check(name: "HULL_HOME access", status: .warning,
                     detail: "open to other users: \(open.joined(separator: ", "))\(open.count == 5 ? ", …" : "")",
                     remedy: "start hulld (it repairs the modes at start), or chmod o-rwx these")
    }

    static func channelCheck() -> Check {
        if FileManager.default.fileExists(atPath: "/dev/vhost-vsock") {
            return Check(name: "control channel", status: .ok,
                         detail: "virtio-serial; /dev/vhost-vsock is present, so HULL_CHANNEL=vsock can be used")
        }
        return Check(name: "control channel", status: .ok,
                     detail: "virtio-serial (no /dev/vhost-vsock on this host, so no vsock)")
    }

    static func fileCheck(_ name: String, _ file: URL, version: URL) -> Check {
        guard FileManager.default.fileExists(atPath: file.path) else {
            return Check(name: name, status: .missing, detail: "\(file.path) not found",
                         remedy: "run scripts/setup.sh")
        }
        let v = GuestImage.readLine(version) ?? "version unknown"
        return Check(name: name, status: .ok, detail: "\(v) (\(file.path))")
    }
}
