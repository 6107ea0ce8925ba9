/// Why a `DomainSpec` cannot become a guest, found before libvirt or QEMU would fail
/// with a less direct message.
public struct DomainSpecError: Error, CustomStringConvertible, Sendable, Equatable {
    public var problems: [String]

    public var description: String {
        "invalid guest definition: " + problems.joined(separator: "; ")
    }
}

extension DomainSpec {
    /// sun_path holds 108 bytes including the terminating NUL.
    static let maxSocketPathBytes = 107

    public func validate() throws {
        var problems: [String] = []
        func check(_ ok: Bool, _ problem: @autoclosure () -> String) {
            if !ok { problems.append(problem()) }
        }
        func checkPath(_ path: String, _ what: String) {
            check(path.hasPrefix("/"), "\(what) must be an absolute path, not \(path.debugDescription)")
            check(!XMLText.hasInvalidCharacters(path), "\(what) contains control characters")
        }

        check(!name.isEmpty, "the name is empty")
        check(!name.contains("/"), "the name \(name.debugDescription) contains '/', which libvirt refuses")
        check(!XMLText.hasInvalidCharacters(name), "the name contains control characters")
        check(memoryMiB > 0, "memory must be at least 1 MiB, not \(memoryMiB)")
        check(vcpus > 0, "vCPUs must be at least 1, not \(vcpus)")
        checkPath(kernel, "the kernel")
        if let initrd { checkPath(initrd, "the initrd") }
        check(!XMLText.hasInvalidCharacters(cmdline), "the kernel command line contains control characters")
        if let consoleLogPath { checkPath(consoleLogPath, "the console log") }
        if let containerID {
            check(!XMLText.hasInvalidCharacters(containerID), "the container id contains control characters")
        }

        var targets = Set<String>()
        for disk in disks {
            checkPath(disk.path, "disk \(disk.targetDevice)")
            check(Self.isVirtioDeviceName(disk.targetDevice),
                  "disk target \(disk.targetDevice.debugDescription) is not a virtio device name like vda")
            check(targets.insert(disk.targetDevice).inserted, "disk target \(disk.targetDevice) is used twice")
        }

        var tags = Set<String>()
        for fs in filesystems {
            checkPath(fs.socketPath, "virtio-fs socket \(fs.tag)")
            check(fs.socketPath.utf8.count <= Self.maxSocketPathBytes,
                  "the virtio-fs socket path is \(fs.socketPath.utf8.count) bytes; unix sockets allow \(Self.maxSocketPathBytes)")
            // QEMU's limit for a virtio-fs tag.
            check(!fs.tag.isEmpty && fs.tag.utf8.count <= 36 && fs.tag.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) },
                  "virtio-fs tag \(fs.tag.debugDescription) must be 1-36 ASCII letters and digits")
            check(tags.insert(fs.tag).inserted, "virtio-fs tag \(fs.tag) is used twice")
        }

        var devices = Set<String>()
        var macs = Set<String>()
        for nic in interfaces {
            switch nic.source {
            case .directPassthrough(let device):
                check(Self.isInterfaceName(device),
                      "host device \(String(device.prefix(32)).debugDescription) is not an interface name (1-15 of letters, digits, '-', '_', '.')")
                // passthrough gives the whole device to one macvtap.
                check(devices.insert(device).inserted, "host device \(device) is used by two interfaces")
            }
            check(Self.isUnicastMAC(nic.mac),
                  "MAC \(String(nic.mac.prefix(32)).debugDescription) is not a unicast address like 02:00:00:00:00:01")
            check(macs.insert(nic.mac.lowercased()).inserted, "MAC \(nic.mac) is used by two interfaces")
        }

        switch controlChannel {
        case .virtioSerial(let socketPath, let portName):
            checkPath(socketPath, "the control socket")
            check(socketPath.utf8.count <= Self.maxSocketPathBytes,
                  "the control socket path is \(socketPath.utf8.count) bytes; unix sockets allow \(Self.maxSocketPathBytes): use a shorter run directory")
            check(!portName.isEmpty && !XMLText.hasInvalidCharacters(portName), "the control port name is empty or has control characters")
        case .vsock(let cid?):
            // 0, 1 and 2 are the hypervisor, loopback and host; 2^32-1 means "any".
            check(cid >= 3 && cid != UInt32.max, "vsock CID \(cid) is reserved: use 3 or above")
        case .vsock(nil), nil:
            break
        }
        if !problems.isEmpty { throw DomainSpecError(problems: problems) }
    }

    /// A Linux interface name (IFNAMSIZ - 1 bytes), in the characters Hull uses; no '/',
    /// ':' or whitespace, which the kernel refuses, and not "." or "..".
    static func isInterfaceName(_ name: String) -> Bool {
        (1...15).contains(name.utf8.count) && name != "." && name != ".." && name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
    }

    /// "aa:bb:cc:dd:ee:ff" with the multicast bit clear and not all zero.
    static func isUnicastMAC(_ mac: String) -> Bool {
        let parts = mac.split(separator: ":", omittingEmptySubsequences: false)
        guard mac.utf8.count == 17, parts.count == 6 else { return false }
        var bytes: [UInt8] = []
        for part in parts {
            // (UInt8(_:radix:) alone would take "+a")
            guard part.utf8.count == 2, part.allSatisfy({ $0.isASCII && $0.isHexDigit }),
                  let byte = UInt8(part, radix: 16) else { return false }
            bytes.append(byte)
        }
        return bytes[0] & 1 == 0 && bytes.contains { $0 != 0 }
    }

    static func isVirtioDeviceName(_ dev: String) -> Bool {
        dev.hasPrefix("vd") && dev.count > 2 && dev.dropFirst(2).allSatisfy { ("a"..."z").contains($0) }
    }
}
