import HullModel

/// One Hull network inside the hub: a bridge and its subnet, the hub's address `.1`.
public struct HubNetwork: Sendable, Equatable {
    public var name: String
    public var bridge: String
    public var subnet: IPv4Subnet

    public init(name: String, bridge: String, subnet: IPv4Subnet) {
        self.name = name
        self.bridge = bridge
        self.subnet = subnet
    }

    public static let defaultNetwork = HubNetwork(name: NetworkSpec.defaultNetwork, bridge: "hn-default",
                                                  subnet: IPv4Subnet(base: IPv4Address(0x0A59_0000), prefixLength: 24))  // 10.89.0.0/24
}

/// A container's port on a hub bridge, as the ruleset needs it.
public struct HubMember: Sendable, Equatable {
    public var id: String
    public var network: String
    public var address: IPv4Address
    public var mac: String
    /// The hub's end of its link (`hc-…` or `hp-…`).
    public var port: String
    public var egress: EgressPolicy
    public var reachesHost: Bool

    public init(id: String, network: String, address: IPv4Address, mac: String, port: String,
                egress: EgressPolicy, reachesHost: Bool) {
        self.id = id
        self.network = network
        self.address = address
        self.mac = mac
        self.port = port
        self.egress = egress
        self.reachesHost = reachesHost
    }
}

/// The hub's whole nftables ruleset, made from the networks and their members and loaded
/// atomically (`nft -f`, which flushes what was there): every change of a container's
/// network state rewrites it, so a restarted hulld has nothing stale to find.
///
/// - input (to the hub itself, from containers): DNS on the gateway and ping;
///   everything else refused.
/// - forward: replies; same-network traffic (the hub's bridges pass bridged IPv4 through
///   this hook: br_netfilter is on in the hub); out to the uplink (slirp4netns) except to the
///   host's own addresses, loopback, link-local/metadata and multicast; `--egress deny`
///   members nothing. One network to another: refused.
/// - prerouting nat: a member with `--add-host …:host-gateway` that connects to its
///   gateway (not port 53) goes to `hostLoopback`, the uplink's address for the host's
///   loopback (libslirp's gateway); only such members may reach it, every other
///   destination in `blocked` (the host's own addresses among them) is refused.
/// - postrouting nat: masquerade to the uplink.
/// - bridge filter: a member may send only from its own MAC and IPv4 address (a guest
///   or a NET_ADMIN container owns its interface and could change both).
public enum HubRuleset {
    /// The hub's uplink (slirp4netns's tap).
    public static let uplink = "hullup"

    public static func render(networks: [HubNetwork], members: [HubMember], blocked: [String],
                              hostLoopback: String?) -> String {
        var out: [String] = ["flush ruleset", "table inet hull {"]
        let blockedList = (["127.0.0.0/8", "0.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "255.255.255.255"] + blocked + (hostLoopback.map { [$0] } ?? []))
        out.append("  set blocked { type ipv4_addr; flags interval; auto-merge; elements = { \(blockedList.joined(separator: ", ")) } }")
        out.append("  set gateways { type ipv4_addr; \(elements(networks.map { $0.subnet.gateway.description })) }")
        let denied = members.filter { $0.egress == .deny }.map(\.address.description)
        out.append("  set denied { type ipv4_addr; \(elements(denied)) }")
        let hosting = members.filter { $0.reachesHost && $0.egress != .deny }.map(\.address.description)
        out.append("  set hostaccess { type ipv4_addr; \(elements(hosting)) }")
        out.append("  chain prerouting_nat {")
        out.append("    type nat hook prerouting priority dstnat;")
        if let hostLoopback {
            out.append("    ip saddr @hostaccess ip daddr @gateways meta l4proto { tcp, udp } th dport != 53 dnat to \(hostLoopback)")
        }
        out.append("  }")
        out.append("  chain input {")
        out.append("    type filter hook input priority filter; policy accept;")
        out.append("    iifname != \"hn-*\" accept")
        out.append("    ct state established,related accept")
        out.append("    ct state invalid drop")
        out.append("    ip saddr @denied jump refuse")
        out.append("    ip daddr @gateways meta l4proto { tcp, udp } th dport 53 accept")
        out.append("    icmp type echo-request accept")
        out.append("    jump refuse")
        out.append("  }")
        out.append("  chain forward {")
        out.append("    type filter hook forward priority filter; policy drop;")
        out.append("    ct state established,related accept")
        out.append("    ct state invalid drop")
        out.append("    ip saddr @denied jump refuse")
        out.append("    ip daddr @denied jump refuse")
        for network in networks {
            out.append("    iifname \"\(network.bridge)\" oifname \"\(network.bridge)\" accept")
        }
        if let hostLoopback {
            out.append("    iifname \"hn-*\" oifname \"\(uplink)\" ip saddr @hostaccess ip daddr \(hostLoopback) accept")
        }
        out.append("    iifname \"hn-*\" oifname \"\(uplink)\" ip daddr @blocked jump refuse")
        out.append("    iifname \"hn-*\" oifname \"\(uplink)\" accept")
        out.append("    iifname \"hn-*\" jump refuse")
        out.append("  }")
        out.append("  chain refuse {")
        out.append("    meta l4proto tcp reject with tcp reset")
        out.append("    reject with icmpx type admin-prohibited")
        out.append("  }")
        out.append("  chain postrouting_nat {")
        out.append("    type nat hook postrouting priority srcnat;")
        out.append("    oifname \"\(uplink)\" masquerade")
        out.append("  }")
        out.append("}")
        out.append("table bridge hull {")
        out.append("  chain prerouting {")
        out.append("    type filter hook prerouting priority -200;")
        for member in members {
            out.append("    iifname \"\(member.port)\" ether saddr != \(member.mac) drop")
            out.append("    iifname \"\(member.port)\" ether type ip ip saddr != \(member.address) drop")
            out.append("    iifname \"\(member.port)\" ether type arp arp saddr ip != \(member.address) drop")
            out.append("    iifname \"\(member.port)\" ether type ip6 drop")
        }
        out.append("  }")
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    static func elements(_ items: [String]) -> String {
        items.isEmpty ? "" : "elements = { \(items.joined(separator: ", ")) }"
    }
}
