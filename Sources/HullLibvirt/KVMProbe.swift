import Foundation

/// What this host offers for hardware-accelerated guests, read from /dev and /proc.
///
/// libvirt's capabilities are not enough: they list `kvm` whenever /dev/kvm opens, and
/// on hosts that are themselves guests without nested virtualisation /dev/kvm opens and
/// `KVM_CREATE_VM` succeeds, yet a guest kernel hangs. The CPU flags are what tell.
public struct KVMProbe: Sendable, Equatable {
    public enum DeviceStatus: Sendable, Equatable {
        case missing
        /// Present but `open(O_RDWR)` failed; the payload is the reason (strerror).
        case unopenable(String)
        case usable
    }

    public var kvmDevice: DeviceStatus
    /// Flags every CPU in /proc/cpuinfo has; nil when it could not be read or has none.
    public var cpuFlags: Set<String>?
    public var vhostVsockAvailable: Bool

    public init(kvmDevice: DeviceStatus, cpuFlags: Set<String>?, vhostVsockAvailable: Bool) {
        self.kvmDevice = kvmDevice
        self.cpuFlags = cpuFlags
        self.vhostVsockAvailable = vhostVsockAvailable
    }

    /// Reads the host. Cheap: one open/close and one small file read.
    public static func current(kvmDevice: String = "/dev/kvm", cpuinfo: String = "/proc/cpuinfo",
                               vhostVsock: String = "/dev/vhost-vsock") -> KVMProbe {
        let text = try? String(contentsOfFile: cpuinfo, encoding: .utf8)
        return KVMProbe(kvmDevice: deviceStatus(kvmDevice),
                        cpuFlags: text.flatMap(cpuFlags(fromCPUInfo:)),
                        vhostVsockAvailable: FileManager.default.fileExists(atPath: vhostVsock))
    }

    static func deviceStatus(_ path: String) -> DeviceStatus {
        guard FileManager.default.fileExists(atPath: path) else { return .missing }
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return .unopenable(String(cString: strerror(errno))) }
        close(fd)
        return .usable
    }

    /// The flags shared by all processors in a /proc/cpuinfo text (x86 `flags` lines),
    /// or nil when there is no `flags` line at all.
    public static func cpuFlags(fromCPUInfo text: String) -> Set<String>? {
        var common: Set<String>?
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            guard line[..<colon].trimmingCharacters(in: .whitespaces) == "flags" else { continue }
            let flags = Set(line[line.index(after: colon)...].split(whereSeparator: \.isWhitespace).map(String.init))
            common = common.map { $0.intersection(flags) } ?? flags
        }
        return common
    }

    /// "vmx" (Intel VT-x) or "svm" (AMD-V) when the CPU offers hardware virtualisation.
    public var virtualizationFlag: String? {
        guard let cpuFlags else { return nil }
        if cpuFlags.contains("vmx") { return "vmx" }
        if cpuFlags.contains("svm") { return "svm" }
        return nil
    }

    /// The CPU says it runs under a hypervisor: this host is itself a VM.
    public var isVirtualMachine: Bool { cpuFlags?.contains("hypervisor") ?? false }

    /// The host's verdict, with the reason in words.
    public var verdict: (domainType: DomainType, reason: String) {
        switch kvmDevice {
        case .missing:
            return (.qemu, "TCG: no /dev/kvm on this host (the kvm_intel/kvm_amd module is not loaded, or this is a container without the device)")
        case .unopenable, .usable:
            break
        }
        guard let cpuFlags else {
            return (.qemu, "TCG: /proc/cpuinfo lists no CPU flags, so hardware virtualisation cannot be confirmed")
        }
        guard let flag = virtualizationFlag else {
            let why = cpuFlags.contains("hypervisor")
                ? "this host is itself a VM without nested virtualisation (/dev/kvm opens, but guests would hang under KVM)"
                : "the CPU lacks hardware virtualisation, or it is disabled in the firmware"
            return (.qemu, "TCG: /proc/cpuinfo has no vmx/svm flags — \(why)")
        }
        if case .unopenable(let error) = kvmDevice {
            return (.qemu, "TCG: /dev/kvm cannot be opened read-write (\(error)) — run as root or join group kvm")
        }
        let name = flag == "vmx" ? "Intel VT-x" : "AMD-V"
        return (.kvm, "KVM: /dev/kvm is usable and the CPU has \(flag) (\(name))")
    }
}
