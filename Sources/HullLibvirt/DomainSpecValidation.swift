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

    static func isVirtioDeviceName(_ dev: String) -> Bool {
        dev.hasPrefix("vd") && dev.count > 2 && dev.dropFirst(2).allSatisfy { ("a"..."z").contains($0) }
    }
}
