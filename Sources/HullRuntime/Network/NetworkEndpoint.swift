import Foundation
import HullProtocol

/// A container's interface on a Hull network, as its isolation boundary needs it
/// (issue 11, docs/networking.md). The engine's network hub makes it before the bundle;
/// the bundle keeps it in an annotation, so a restart from config.json still knows it.
///
/// runc/runsc: `namespacePath` is the network namespace the hub made for the container
/// (its `eth0` is already inside, addressed); the OCI spec joins it.
/// vm: `hostDevice` is the host end of a veth whose peer sits on the network's bridge;
/// the guest's virtio NIC is a macvtap (passthrough) on it, and the agent gives the
/// guest's `eth0` `address/prefixLength`, `mac`, `mtu` and the default route via `gateway`.
public struct NetworkEndpoint: Sendable, Equatable, Codable {
    /// The Hull network's name ("default" for the default one).
    public var network: String
    /// IPv4 address, dotted quad.
    public var address: String
    public var prefixLength: Int
    /// The network's gateway (the hub's address on the bridge), dotted quad.
    public var gateway: String
    /// "02:xx:xx:xx:xx:xx", locally administered, fixed for the container.
    public var mac: String
    public var mtu: Int
    public var namespacePath: String?
    public var hostDevice: String?

    public init(network: String, address: String, prefixLength: Int, gateway: String, mac: String,
                mtu: Int = 1500, namespacePath: String? = nil, hostDevice: String? = nil) {
        self.network = network
        self.address = address
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.mac = mac
        self.mtu = mtu
        self.namespacePath = namespacePath
        self.hostDevice = hostDevice
    }
}

/// The files Docker makes for a networked container, bind-mounted over the image's:
/// `/etc/hosts` (localhost, the container's own name, `--add-host`) and `/etc/resolv.conf`
/// (the network's resolver). OCIBundle.make writes them to `<run>/etc/` on the host;
/// where the container sees them from is the driver's (`IsolationDriver.etcFileSource`).
public struct ContainerEtcFiles: Sendable, Equatable, Codable {
    public var hosts: String
    public var resolvConf: String

    public init(hosts: String, resolvConf: String) {
        self.hosts = hosts
        self.resolvConf = resolvConf
    }

    /// Their names in `<run>/etc/` (and in the guest's /run/hull/etc/); each is bound
    /// over `/etc/<name>`.
    public static let names = ["hosts", "resolv.conf"]

    /// (file name in `<run>/etc/`, path in the container, contents)
    public var entries: [(name: String, destination: String, contents: String)] {
        zip(Self.names, [hosts, resolvConf]).map { ($0, "/etc/" + $0, $1) }
    }

    /// Where OCIBundle.make writes them on the host.
    public static func directory(in runDirectory: URL) -> URL { runDirectory.appendingPathComponent("etc") }
}

extension RuntimeSpec {
    /// Annotation holding the container's NetworkEndpoint as JSON.
    public static let networkAnnotation = "org.hull.network"

    /// The endpoint this bundle was made with, or nil (loopback only).
    public var networkEndpoint: NetworkEndpoint? {
        guard let text = annotations?[Self.networkAnnotation] else { return nil }
        return try? JSONDecoder().decode(NetworkEndpoint.self, from: Data(text.utf8))
    }
}
