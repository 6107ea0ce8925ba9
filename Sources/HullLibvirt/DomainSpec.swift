import Foundation

/// libvirt's `<domain type=…>`: hardware acceleration or QEMU's TCG emulator.
public enum DomainType: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    case kvm
    case qemu

    public var description: String { self == .kvm ? "kvm" : "qemu (TCG)" }
}

/// QEMU machine type. `pc` (i440FX) boots fastest under TCG; `q35` gives PCIe.
public enum MachineType: String, Sendable, Equatable {
    case pc
    case q35
}

/// libvirt `<cpu mode=…>`.
public enum CPUMode: String, Sendable, Equatable {
    case hostPassthrough = "host-passthrough"
    case hostModel = "host-model"
    case maximum
}

/// Everything Hull says about one guest; `DomainXML.render` turns it into domain XML.
public struct DomainSpec: Sendable, Equatable {
    public var name: String
    public var uuid: UUID?
    public var domainType: DomainType
    public var machine: MachineType
    public var architecture: String
    public var memoryMiB: Int
    public var vcpus: Int
    /// nil: `host-passthrough` under KVM, QEMU's default model under TCG.
    public var cpuMode: CPUMode?
    public var kernel: String
    public var initrd: String?
    public var cmdline: String
    public var disks: [DiskSpec]
    /// The guest's first serial port (ttyS0) is written to this file.
    public var consoleLogPath: String?
    public var controlChannel: ControlChannelSpec?
    /// Stored in the domain's `<metadata>` under Hull's namespace, so guests can be
    /// told apart (and traced back to their container) from libvirt alone.
    public var containerID: String?
    /// QEMU's user and group as a static DAC label with relabelling off: libvirt then
    /// chowns none of the guest's files (the kernel, initramfs and base disk are shared by
    /// every guest and must never belong to one QEMU); Hull gives them the group's modes
    /// itself (HullRuntime's HomeAccess). nil keeps libvirt's dynamic ownership.
    public var qemuAccount: DACLabel?
    /// Host folders shared with virtio-fs, each served by a virtiofsd Hull started on
    /// `socketPath`. Any share makes the guest's memory shared (memfd), as virtio-fs needs.
    public var filesystems: [FilesystemSpec] = []
    /// Network interfaces (virtio-net), in the order the guest sees them.
    public var interfaces: [InterfaceSpec] = []

    public init(name: String, uuid: UUID? = nil, domainType: DomainType, machine: MachineType = .pc,
                architecture: String = "x86_64", memoryMiB: Int = 256, vcpus: Int = 1,
                cpuMode: CPUMode? = nil, kernel: String, initrd: String? = nil, cmdline: String = "",
                disks: [DiskSpec] = [], consoleLogPath: String? = nil,
                controlChannel: ControlChannelSpec? = nil, containerID: String? = nil) {
        self.name = name
        self.uuid = uuid
        self.domainType = domainType
        self.machine = machine
        self.architecture = architecture
        self.memoryMiB = memoryMiB
        self.vcpus = vcpus
        self.cpuMode = cpuMode
        self.kernel = kernel
        self.initrd = initrd
        self.cmdline = cmdline
        self.disks = disks
        self.consoleLogPath = consoleLogPath
        self.controlChannel = controlChannel
        self.containerID = containerID
    }

    /// The CPU mode the XML will carry.
    public var effectiveCPUMode: CPUMode? {
        cpuMode ?? (domainType == .kvm ? .hostPassthrough : nil)
    }
}

/// One virtio-fs share: the tag the guest mounts it by, and the vhost-user socket of the
/// virtiofsd serving it.
public struct FilesystemSpec: Sendable, Equatable {
    public var tag: String
    public var socketPath: String
    public init(tag: String, socketPath: String) {
        self.tag = tag
        self.socketPath = socketPath
    }
}

/// One virtio-net NIC of the guest.
public struct InterfaceSpec: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// `<interface type='direct'>`: a macvtap on host device `device` in passthrough
        /// mode (the guest owns the device's traffic). libvirt makes and removes the macvtap.
        case directPassthrough(device: String)
    }

    public var source: Source
    /// The guest NIC's MAC, "02:xx:xx:xx:xx:xx".
    public var mac: String

    public init(source: Source, mac: String) {
        self.source = source
        self.mac = mac
    }
}

/// A static DAC label: the numeric user and group QEMU runs as.
public struct DACLabel: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }
}

public struct DiskSpec: Sendable, Equatable {
    public enum Format: String, Sendable, Equatable {
        case raw
        case qcow2
    }

    public enum Bus: String, Sendable, Equatable {
        case virtio
    }

    /// QEMU's host cache mode for the disk. `unsafe` ignores the guest's flushes: right for a
    /// throwaway per-container overlay, where it also spares QEMU a flush when it exits.
    public enum CacheMode: String, Sendable, Equatable {
        case writeback
        case none
        case unsafe
    }

    public var path: String
    public var format: Format
    /// Guest device name, e.g. "vda" (→ /dev/vda in the guest).
    public var targetDevice: String
    public var readOnly: Bool
    public var bus: Bus
    /// nil leaves QEMU's default (writeback).
    public var cache: CacheMode?

    public init(path: String, format: Format, targetDevice: String = "vda", readOnly: Bool = false,
                bus: Bus = .virtio, cache: CacheMode? = nil) {
        self.path = path
        self.format = format
        self.cache = cache
        self.targetDevice = targetDevice
        self.readOnly = readOnly
        self.bus = bus
    }
}

/// The byte stream between the host and the guest agent.
public enum ControlChannelSpec: Sendable, Equatable {
    /// A virtio-serial port named `name` in the guest (`/dev/virtio-ports/<name>`),
    /// a unix socket that QEMU listens on at `socketPath` on the host.
    case virtioSerial(socketPath: String, name: String)
    /// A virtio vsock device; nil lets libvirt pick a free guest CID.
    case vsock(cid: UInt32?)
}
