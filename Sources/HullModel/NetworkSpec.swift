/// How a container is networked (issue 11, docs/networking.md): which network, its
/// published ports, its egress policy and extra /etc/hosts entries. The same for every
/// isolation mode.
public struct NetworkSpec: Codable, Sendable, Equatable {
    /// "default" (also when nil) or "none" (loopback only).
    public var network: String?
    /// `-p`: ports published on the host.
    public var publish: [PortSpec]
    /// `-P`: every port the image EXPOSEs, each on a free host port of 127.0.0.1.
    public var publishAll: Bool
    /// `--egress deny`: nothing leaves the container except replies to its published ports.
    public var egress: EgressPolicy
    /// `--add-host NAME:ADDRESS`; ADDRESS `host-gateway` is the host's loopback, reached
    /// through the network's gateway (opt-in: without it the host is closed).
    public var extraHosts: [HostEntry]

    public static let defaultNetwork = "default"
    public static let none = "none"
    /// The address word `--add-host NAME:host-gateway` takes, as in Docker.
    public static let hostGateway = "host-gateway"

    public init(network: String? = nil, publish: [PortSpec] = [], publishAll: Bool = false,
                egress: EgressPolicy = .allow, extraHosts: [HostEntry] = []) {
        self.network = network
        self.publish = publish
        self.publishAll = publishAll
        self.egress = egress
        self.extraHosts = extraHosts
    }

    public var effectiveNetwork: String { network ?? Self.defaultNetwork }
    public var isNone: Bool { effectiveNetwork == Self.none }
    /// Whether `--add-host …:host-gateway` opened the host's loopback to the container.
    public var reachesHost: Bool { extraHosts.contains { $0.address == Self.hostGateway } }
}

/// Where a container's connections may go.
public enum EgressPolicy: String, Codable, Sendable, Equatable {
    /// Anywhere but the host itself and link-local/metadata addresses (the default).
    case allow
    /// Nowhere: only replies to connections made to its published ports leave.
    case deny
}

/// `--add-host NAME:ADDRESS`.
public struct HostEntry: Codable, Sendable, Equatable {
    public var name: String
    /// An IPv4 address, or `host-gateway`.
    public var address: String

    public init(name: String, address: String) {
        self.name = name
        self.address = address
    }

    /// "NAME:ADDRESS" (Docker's `--add-host` form; `NAME=ADDRESS` too).
    public static func parse(_ text: String) throws(InputError) -> HostEntry {
        guard let split = text.firstIndex(where: { $0 == ":" || $0 == "=" }) else {
            throw InputError(field: "--add-host", rule: "must be NAME:ADDRESS (ADDRESS an IPv4 address or host-gateway), not \"\(text)\"")
        }
        let entry = HostEntry(name: String(text[..<split]), address: String(text[text.index(after: split)...]))
        try entry.check()
        return entry
    }

    public func check() throws(InputError) {
        let nameOK = !name.isEmpty && name.utf8.count <= 253
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-.".contains($0)) }
        guard nameOK else {
            throw InputError(field: "--add-host", rule: "host name must be letters, digits, '-' and '.' (at most 253), not \"\(name)\"")
        }
        guard address == NetworkSpec.hostGateway || IPv4Address(address) != nil else {
            throw InputError(field: "--add-host", rule: "address must be an IPv4 address or host-gateway, not \"\(address)\"")
        }
    }
}

/// One `-p`: `[HOSTIP:][HOSTPORT:]CTRPORT[/tcp|/udp]`.
public struct PortSpec: Codable, Sendable, Equatable, Hashable {
    /// Where the host listens: 127.0.0.1 unless given (never every address by default).
    public var hostAddress: String
    /// nil or 0: a free port, chosen when the container starts.
    public var hostPort: Int?
    public var containerPort: Int
    /// "tcp" or "udp"
    public var proto: String

    public static let defaultHostAddress = "127.0.0.1"

    enum CodingKeys: String, CodingKey {
        case hostAddress, hostPort, containerPort, proto = "protocol"
    }

    /// Absent keys take their defaults: `{"containerPort": 80}` is 127.0.0.1, a free port, tcp.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hostAddress = try c.decodeIfPresent(String.self, forKey: .hostAddress) ?? Self.defaultHostAddress
        hostPort = try c.decodeIfPresent(Int.self, forKey: .hostPort)
        containerPort = try c.decode(Int.self, forKey: .containerPort)
        proto = try c.decodeIfPresent(String.self, forKey: .proto) ?? "tcp"
    }

    public init(hostAddress: String = PortSpec.defaultHostAddress, hostPort: Int? = nil, containerPort: Int, proto: String = "tcp") {
        self.hostAddress = hostAddress
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.proto = proto
    }

    /// Docker's `-p` syntax. `-p 8080:80` listens on 127.0.0.1:8080 (Docker: every address).
    public static func parse(_ text: String) throws(InputError) -> PortSpec {
        let rule = "must be [HOSTIP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp], not \"\(text)\""
        var body = Substring(text)
        var proto = "tcp"
        if let slash = body.lastIndex(of: "/") {
            proto = String(body[body.index(after: slash)...]).lowercased()
            body = body[..<slash]
        }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var spec: PortSpec
        switch parts.count {
        case 1:
            spec = PortSpec(containerPort: try port(parts[0], rule: rule, field: "-p"))
        case 2:
            spec = PortSpec(hostPort: parts[0].isEmpty ? nil : try port(parts[0], rule: rule, field: "-p"),
                            containerPort: try port(parts[1], rule: rule, field: "-p"))
        case 3:
            spec = PortSpec(hostAddress: parts[0].isEmpty ? defaultHostAddress : parts[0],
                            hostPort: parts[1].isEmpty ? nil : try port(parts[1], rule: rule, field: "-p"),
                            containerPort: try port(parts[2], rule: rule, field: "-p"))
        default:
            throw InputError(field: "-p", rule: rule)
        }
        spec.proto = proto
        try spec.check()
        return spec
    }

    public func check() throws(InputError) {
        guard proto == "tcp" || proto == "udp" else {
            throw InputError(field: "-p", rule: "protocol must be tcp or udp, not \"\(proto)\"")
        }
        guard IPv4Address(hostAddress) != nil else {
            throw InputError(field: "-p", rule: "host address must be an IPv4 address, not \"\(hostAddress)\"")
        }
        guard (1...65535).contains(containerPort) else {
            throw InputError(field: "-p", rule: "container port must be 1 to 65535, not \(containerPort)")
        }
        if let hostPort, !(0...65535).contains(hostPort) {
            throw InputError(field: "-p", rule: "host port must be 1 to 65535, not \(hostPort)")
        }
    }

    static func port(_ text: String, rule: String, field: String) throws(InputError) -> Int {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy(\.isASCII), let value = Int(text) else {
            throw InputError(field: field, rule: rule)
        }
        return value
    }

    /// "127.0.0.1:8080->80/tcp" (Docker's `docker ps` form), with the port as bound.
    public func describe(boundPort: Int?) -> String {
        "\(hostAddress):\(boundPort ?? hostPort ?? 0)->\(containerPort)/\(proto)"
    }
}

/// A dotted-quad IPv4 address.
public struct IPv4Address: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, text.utf8.count <= 15 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let byte = UInt32(part), byte <= 255 else { return nil }
            value = value << 8 | byte
        }
        self.value = value
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }
}

/// An IPv4 subnet such as 10.89.0.0/24.
public struct IPv4Subnet: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var base: IPv4Address
    public var prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let address = IPv4Address(String(parts[0])),
              let length = Int(parts[1]), (8...30).contains(length) else { return nil }
        self.init(base: address, prefixLength: length)
    }

    public init(base: IPv4Address, prefixLength: Int) {
        self.prefixLength = prefixLength
        self.base = IPv4Address(base.value & Self.mask(prefixLength))
    }

    static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << UInt32(32 - length) }

    public var description: String { "\(base)/\(prefixLength)" }
    /// .1: the hub's address on the network's bridge.
    public var gateway: IPv4Address { IPv4Address(base.value + 1) }
    /// Host number `n` (2 … size - 2 are for containers).
    public func host(_ n: Int) -> IPv4Address { IPv4Address(base.value + UInt32(n)) }
    public var size: Int { 1 << (32 - prefixLength) }
    public func contains(_ address: IPv4Address) -> Bool { address.value & Self.mask(prefixLength) == base.value }
}

extension NetworkSpec {
    public func validate() throws(InputError) {
        if let network, network != Self.defaultNetwork, network != Self.none {
            throw InputError(field: "network", rule: "must be default or none (user-defined networks are not there yet), not \"\(network)\"")
        }
        guard publish.count <= InputLimits.maxPublishedPorts else {
            throw InputError(field: "publish", rule: "may hold at most \(InputLimits.maxPublishedPorts) ports, not \(publish.count)")
        }
        for port in publish { try port.check() }
        guard extraHosts.count <= InputLimits.maxExtraHosts else {
            throw InputError(field: "extraHosts", rule: "may hold at most \(InputLimits.maxExtraHosts) entries, not \(extraHosts.count)")
        }
        for entry in extraHosts { try entry.check() }
        if isNone && (!publish.isEmpty || publishAll) {
            throw InputError(field: "publish", rule: "needs a network: a container with --network none has no ports to publish")
        }
    }

    /// Two ports on one host address, port and protocol: a conflict between values (409).
    public func checkConsistency() throws(InputError) {
        var seen = Set<String>()
        for port in publish {
            guard let hostPort = port.hostPort, hostPort != 0 else { continue }
            let key = "\(port.hostAddress):\(hostPort)/\(port.proto)"
            guard seen.insert(key).inserted else {
                throw InputError(field: "publish", rule: "publishes \(key) twice")
            }
        }
    }
}
