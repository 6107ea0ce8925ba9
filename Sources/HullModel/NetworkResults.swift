/// A published port as bound: `hull port`, inspect.
public struct BoundPort: Codable, Sendable, Equatable {
    public var spec: PortSpec
    /// The host port in use (the one chosen when the spec left it free).
    public var hostPort: Int

    public init(spec: PortSpec, hostPort: Int) {
        self.spec = spec
        self.hostPort = hostPort
    }

    /// "127.0.0.1:32768->80/tcp"
    public var description: String { spec.describe(boundPort: hostPort) }
}

/// A container's network as inspect shows it.
public struct NetworkState: Codable, Sendable, Equatable {
    /// "default", or "none" (loopback only).
    public var network: String
    /// Its IPv4 address on the network, and the network's gateway (nil: none).
    public var address: String?
    public var prefixLength: Int?
    public var gateway: String?
    public var mac: String?
    /// Published ports as bound while it runs.
    public var ports: [BoundPort]
    public var egress: EgressPolicy
    /// `--add-host …:host-gateway` given: the host's loopback is reachable at the gateway.
    public var reachesHost: Bool

    public init(network: String, address: String? = nil, prefixLength: Int? = nil, gateway: String? = nil,
                mac: String? = nil, ports: [BoundPort] = [], egress: EgressPolicy = .allow, reachesHost: Bool = false) {
        self.network = network
        self.address = address
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.mac = mac
        self.ports = ports
        self.egress = egress
        self.reachesHost = reachesHost
    }
}
