/// A vm container's network, sent in the `start` request of its main process
/// (`ProcessSpec.network`): the guest NIC's static configuration and the files the
/// container's spec binds over /etc (`/run/hull/etc/<name>` in the guest). The agent
/// configures the NIC and writes the files before the container's first step, and fails
/// the start when either cannot be done. Both sides check `problems()`: the host before it
/// boots the guest, the agent before it touches anything.
///
/// Added after version 2 without a bump: an agent that predates it ignores the field, and
/// the container's bind mounts of `/run/hull/etc/*` then fail its start.
public struct GuestNetwork: Codable, Sendable, Equatable {
    /// nil: loopback only (the files may still be there).
    public var interface: GuestInterface?
    public var etcFiles: [GuestEtcFile]

    public init(interface: GuestInterface? = nil, etcFiles: [GuestEtcFile] = []) {
        self.interface = interface
        self.etcFiles = etcFiles
    }

    /// At most this many files (hosts and resolv.conf today).
    public static let maxFiles = 8
    /// The most one file may hold. Docker's /etc/hosts with many `--add-host` entries is a
    /// few KiB; resolv.conf far less.
    public static let maxFileBytes = 64 * 1024
    /// The directory the agent writes the files to (a tmpfs in the guest).
    public static let etcDirectory = "/run/hull/etc"

    /// Everything wrong with it, in words; empty when it may be applied.
    public func problems() -> [String] {
        var problems = interface?.problems() ?? []
        if etcFiles.count > Self.maxFiles {
            problems.append("\(etcFiles.count) files for /etc; at most \(Self.maxFiles)")
        }
        var names = Set<String>()
        for file in etcFiles.prefix(Self.maxFiles) {
            if !GuestEtcFile.isValidName(file.name) {
                problems.append("etc file name \(String(file.name.prefix(64)).debugDescription) is not a plain file name (letters, digits, '.', '-', '_', at most 64)")
            } else if !names.insert(file.name).inserted {
                problems.append("etc file \(file.name) is given twice")
            }
            if file.contents.utf8.count > Self.maxFileBytes {
                problems.append("etc file \(file.name.prefix(64)) is \(file.contents.utf8.count) bytes; at most \(Self.maxFileBytes)")
            }
            if file.contents.utf8.contains(0) {
                problems.append("etc file \(file.name.prefix(64)) contains a NUL byte")
            }
        }
        return problems
    }
}

/// The guest's NIC, found by its MAC address (the one in the domain's `<interface>`).
public struct GuestInterface: Codable, Sendable, Equatable {
    /// "02:xx:xx:xx:xx:xx", lower or upper case.
    public var mac: String
    /// IPv4, dotted quad.
    public var address: String
    public var prefixLength: Int
    /// The default route's next hop, inside address/prefixLength.
    public var gateway: String
    public var mtu: Int

    public init(mac: String, address: String, prefixLength: Int, gateway: String, mtu: Int) {
        self.mac = mac
        self.address = address
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.mtu = mtu
    }

    /// What an Ethernet NIC takes (IPv4's minimum; virtio-net's maximum).
    public static let mtuRange = 68...65535

    public func problems() -> [String] {
        var problems: [String] = []
        if GuestInterface.macBytes(mac) == nil {
            problems.append("MAC \(String(mac.prefix(32)).debugDescription) is not a unicast address like 02:00:00:00:00:01")
        }
        let address = GuestInterface.ipv4(self.address)
        let gateway = GuestInterface.ipv4(self.gateway)
        if address == nil { problems.append("address \(String(self.address.prefix(32)).debugDescription) is not an IPv4 dotted quad") }
        if gateway == nil { problems.append("gateway \(String(self.gateway.prefix(32)).debugDescription) is not an IPv4 dotted quad") }
        if !(1...30).contains(prefixLength) {
            problems.append("prefix length \(prefixLength) is outside 1...30")
        }
        if !Self.mtuRange.contains(mtu) {
            problems.append("MTU \(mtu) is outside \(Self.mtuRange.lowerBound)...\(Self.mtuRange.upperBound)")
        }
        if let address, let gateway, (1...30).contains(prefixLength) {
            let mask = GuestInterface.netmask(prefixLength: prefixLength)
            let host = ~mask
            if address & mask != gateway & mask {
                problems.append("gateway \(self.gateway) is not in \(self.address)/\(prefixLength)")
            }
            if address == gateway { problems.append("the address is the gateway's, \(self.gateway)") }
            for (what, value, text) in [("address", address, self.address), ("gateway", gateway, self.gateway)]
            where value & host == 0 || value & host == host {
                problems.append("\(what) \(text) is the network's or the broadcast address of /\(prefixLength)")
            }
        }
        return problems
    }

    /// The six bytes of a unicast MAC "aa:bb:cc:dd:ee:ff", or nil.
    public static func macBytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard text.utf8.count == 17, parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard part.utf8.count == 2, part.allSatisfy({ $0.isASCII && $0.isHexDigit }), let byte = UInt8(part, radix: 16) else { return nil }
            bytes.append(byte)
        }
        guard bytes[0] & 1 == 0, bytes != [0, 0, 0, 0, 0, 0] else { return nil }   // multicast / zero
        return bytes
    }

    /// A strict dotted quad (no leading zeros, no shorthand) as a host-order number.
    public static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard text.utf8.count <= 15, parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  part.count == 1 || part.first != "0", let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    public static func netmask(prefixLength: Int) -> UInt32 {
        prefixLength <= 0 ? 0 : prefixLength >= 32 ? .max : ~(UInt32.max >> UInt32(prefixLength))
    }
}

/// One file for `GuestNetwork.etcDirectory`.
public struct GuestEtcFile: Codable, Sendable, Equatable {
    /// A plain file name: "hosts", "resolv.conf".
    public var name: String
    public var contents: String

    public init(name: String, contents: String) {
        self.name = name
        self.contents = contents
    }

    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.first != "." && name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}
