import Glibc

/// Finds the virtio-serial port the host named (libvirt `<target name=...>`): its name is
/// in /sys/class/virtio-ports/vportNpM/name and its device is /dev/vportNpM.
enum ChannelFinder {
    static let portsDirectory = "/sys/class/virtio-ports"

    /// Opens the port, waiting for the driver to announce it until `timeout` has passed.
    static func openPort(named name: String, timeout: Duration) throws(AgentError) -> Int32 {
        let deadline = ContinuousClock.now + timeout
        var problem = "no virtio-serial port named \(name) in \(portsDirectory)"
        repeat {
            if let path = devicePath(named: name) {
                // devtmpfs creates the node with the device; the name may come first.
                let fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
                if fd >= 0 {
                    Log.info("control channel: \(path) (\(name))")
                    return fd
                }
                problem = "\(SystemError("open \(path)"))"
            }
            usleep(10_000)
        } while ContinuousClock.now < deadline
        throw AgentError("\(problem) after \(timeout)")
    }

    static func devicePath(named name: String) -> String? {
        guard let directory = opendir(portsDirectory) else { return nil }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let port = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if port.hasPrefix(".") { continue }
            guard let bytes = FileIO.readFile("\(portsDirectory)/\(port)/name") else { continue }
            let portName = String(decoding: bytes.prefix { $0 != 0x0A && $0 != 0 }, as: UTF8.self)
            if portName == name {
                return "/dev/\(port)"
            }
        }
        return nil
    }
}
