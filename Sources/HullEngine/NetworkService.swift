import Foundation
import HullModel
import HullRuntime
import Logging
import Synchronization

/// The engine's side of container networking (issue 11, docs/networking.md): addresses
/// (one per container for its lifetime, stored in its record), the hub and its ruleset,
/// each running container's membership, its /etc files. The hub is made at the first
/// networked start and removed when hulld exits with nothing on it (a vm guest that
/// outlives hulld keeps it for the next hulld to take over).
package final class NetworkService: Sendable {
    let hub: NetworkHub
    let logger: Logger
    /// Hub changes (links, ruleset) one at a time.
    private let lock = AsyncLock()
    private let state = Mutex(State())
    /// Address choice and the record's insert, together (two creates never share one).
    let allocation = Mutex(())

    struct State {
        var members: [String: Member] = [:]
        var hostAddresses: [String]?
    }

    struct Member {
        var hub: HubMember
        var mode: IsolationMode
        var ports: [BoundPort] = []
        var proxies: [PortProxy] = []
    }

    /// The only network so far; user-defined ones come with `hull network` (docs/next-steps.md).
    static let networks = [HubNetwork.defaultNetwork]

    package init(paths: HullPaths, logger: Logger) {
        hub = NetworkHub(paths: paths, logger: logger)
        self.logger = logger
    }

    static func network(named name: String) -> HubNetwork? { networks.first { $0.name == name } }

    // MARK: addresses

    /// The lowest free address of `spec`'s network, given the addresses taken; nil for
    /// `--network none`.
    func allocate(for spec: NetworkSpec, taken: [String]) throws -> String? {
        guard !spec.isNone else { return nil }
        guard let network = Self.network(named: spec.effectiveNetwork) else {
            throw EngineError.notFound("no network named \(spec.effectiveNetwork)")
        }
        let used = Set(taken.compactMap(IPv4Address.init))
        for n in 2..<(network.subnet.size - 1) where !used.contains(network.subnet.host(n)) {
            return network.subnet.host(n).description
        }
        throw EngineError.conflict(NetworkError.exhausted(network: network.name, subnet: network.subnet.description).description)
    }

    // MARK: running containers

    /// Links the container into its network before its sandbox is made: its endpoint (the
    /// bundle's) and its /etc files.
    func attach(id: String, name: String, hostname: String, mode: IsolationMode, spec: NetworkSpec,
                address: String, exposed: [PortSpec]) async throws -> (NetworkEndpoint, ContainerEtcFiles) {
        guard let network = Self.network(named: spec.effectiveNetwork), let ip = IPv4Address(address) else {
            throw EngineError.conflict("container \(name) has no usable address on network \(spec.effectiveNetwork)")
        }
        return try await lock.run {
            try await self.hub.ensure(networks: Self.networks)
            let endpoint = try await self.hub.attach(id: id, mode: mode, network: network, address: ip)
            let member = HubMember(id: id, network: network.name, address: ip, mac: endpoint.mac,
                                   port: NetworkHub.hubPort(id, mode: mode), egress: spec.egress,
                                   reachesHost: spec.reachesHost)
            self.state.withLock { $0.members[id] = Member(hub: member, mode: mode) }
            do {
                try await self.loadRuleset()
                try await self.publish(id: id, ports: spec.publish + (spec.publishAll ? exposed : []), address: address)
            } catch {
                let proxies = self.state.withLock { $0.members.removeValue(forKey: id)?.proxies ?? [] }
                for proxy in proxies { await proxy.stop() }
                await self.hub.detach(id: id)
                try? await self.loadRuleset()
                throw error
            }
            return (endpoint, Self.etcFiles(hostname: hostname, name: name, address: address, gateway: network.subnet.gateway,
                                            extraHosts: spec.extraHosts))
        }
    }

    /// Listens on the host for each published port (PortProxy: hulld connects from inside
    /// the hub to the container's address). A port in use fails the start, as with Docker.
    func publish(id: String, ports: [PortSpec], address: String) async throws {
        for port in ports {
            let proxy: PortProxy
            do {
                proxy = try await PortProxy.start(hostAddress: port.hostAddress, hostPort: port.hostPort ?? 0,
                                                  proto: port.proto == "udp" ? .udp : .tcp, namespacePath: hub.namespacePath,
                                                  targetAddress: address, targetPort: port.containerPort, logger: logger)
            } catch {
                throw EngineError.conflict("publishing \(port.describe(boundPort: nil)) failed: \(error)")
            }
            state.withLock {
                $0.members[id]?.proxies.append(proxy)
                $0.members[id]?.ports.append(BoundPort(spec: port, hostPort: proxy.boundPort))
            }
        }
    }

    /// The ports a running container publishes, as bound.
    func ports(of id: String) -> [BoundPort] {
        state.withLock { $0.members[id]?.ports ?? [] }
    }

    /// A running container found again after a hulld restart (a guest): its link is
    /// still there; its membership is restored and its ports listen again (on the ports
    /// they had, when those are still free).
    func adopt(id: String, mode: IsolationMode, spec: NetworkSpec, address: String, ports: [BoundPort]) async {
        guard let network = Self.network(named: spec.effectiveNetwork), let ip = IPv4Address(address) else { return }
        let member = HubMember(id: id, network: network.name, address: ip, mac: NetworkHub.mac(for: ip),
                               port: NetworkHub.hubPort(id, mode: mode), egress: spec.egress, reachesHost: spec.reachesHost)
        state.withLock { $0.members[id] = Member(hub: member, mode: mode) }
        for port in ports {
            var again = port.spec
            again.hostPort = port.hostPort
            do {
                try await publish(id: id, ports: [again], address: address)
            } catch {
                logger.warning("a published port could not listen again", metadata: ["container": "\(id.prefix(12))", "error": "\(error)"])
            }
        }
    }

    /// The container stopped: its link and its rules go.
    func release(id: String) async {
        _ = try? await lock.run {
            let was = self.state.withLock { $0.members.removeValue(forKey: id) }
            for proxy in was?.proxies ?? [] { await proxy.stop() }
            await self.hub.detach(id: id)
            if was != nil, self.hub.exists { try? await self.loadRuleset() }
        }
    }

    /// After hulld's restart and takeover: the hub holds exactly the members taken over
    /// (the uplink restarted if it died, the ruleset rewritten), or is removed when none is left.
    func reconcile() async {
        _ = try? await lock.run {
            let members = self.state.withLock { $0.members }
            let prefix = self.hub.paths.domainPrefix + "c-"
            for name in NetworkHub.namespaces() where name.hasPrefix(prefix) {
                let id12 = String(name.dropFirst(prefix.count))
                if !members.keys.contains(where: { $0.hasPrefix(id12) }) {
                    await self.hub.detach(id: id12)
                }
            }
            for port in await self.hub.memberPorts() {
                let id12 = String(port.dropFirst(3))
                if !members.keys.contains(where: { $0.hasPrefix(id12) }) {
                    await self.hub.detach(id: id12)
                }
            }
            if members.isEmpty {
                if self.hub.exists { await self.hub.teardown() }
                return
            }
            do {
                try await self.hub.ensure(networks: Self.networks)
                try await self.loadRuleset()
            } catch {
                self.logger.error("network hub could not be restored", metadata: ["error": "\(error)"])
            }
        }
    }

    /// hulld exits: with no member left the hub goes (the uplink with it).
    func shutdown() async {
        _ = try? await lock.run {
            let empty = self.state.withLock { $0.members.isEmpty }
            if empty && self.hub.exists { await self.hub.teardown() }
        }
    }

    private func loadRuleset() async throws {
        let hostAddresses: [String]
        if let known = state.withLock({ $0.hostAddresses }) {
            hostAddresses = known
        } else {
            hostAddresses = await NetworkHub.hostAddresses()
            state.withLock { $0.hostAddresses = hostAddresses }
        }
        let members = state.withLock { $0.members.values.map(\.hub) }.sorted { $0.address < $1.address }
        try await hub.load(ruleset: HubRuleset.render(networks: Self.networks, members: members, blocked: hostAddresses,
                                                      hostLoopback: NetworkHub.uplinkGateway.description))
    }

    // MARK: what a container sees

    /// Docker's /etc/hosts and /etc/resolv.conf for a container: localhost, its own name
    /// and hostname at its address, `--add-host` entries (host-gateway: the gateway); as
    /// name server the uplink's DNS forwarder, which asks the host's own resolvers
    /// (loopback ones such as systemd-resolved's too); the host's search and options.
    static func etcFiles(hostname: String, name: String, address: String, gateway: IPv4Address,
                         extraHosts: [HostEntry], hostResolvConf: String? = nil) -> ContainerEtcFiles {
        var hosts = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
        hosts.append("\(address)\t" + (hostname == name ? hostname : "\(hostname) \(name)"))
        for entry in extraHosts {
            hosts.append("\(entry.address == NetworkSpec.hostGateway ? gateway.description : entry.address)\t\(entry.name)")
        }
        let text = hostResolvConf ?? (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        var resolv: [String] = []
        for line in text.split(separator: "\n").prefix(64) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = words.first else { continue }
            if first == "search" || first == "options" {
                resolv.append(words.joined(separator: " "))
            }
        }
        resolv.insert("nameserver \(NetworkHub.uplinkDNS)", at: 0)
        return ContainerEtcFiles(hosts: hosts.joined(separator: "\n") + "\n", resolvConf: resolv.joined(separator: "\n") + "\n")
    }


    /// Bytes in and out of a running container (nil: not networked or not running).
    func counters(id: String) async -> (received: UInt64, transmitted: UInt64)? {
        guard let mode = state.withLock({ $0.members[id]?.mode }) else { return nil }
        return await hub.counters(id: id, mode: mode)
    }
}

extension ContainerRecord {
    /// inspect's view of the container's network (nil: made without networking).
    package var networkState: NetworkState? {
        let spec = self.spec.effectiveNetwork
        guard let address, !spec.isNone, let network = NetworkService.network(named: spec.effectiveNetwork) else {
            return NetworkState(network: spec.isNone ? NetworkSpec.none : spec.effectiveNetwork, egress: spec.egress)
        }
        let running = state == .running || state == .stopping
        return NetworkState(network: network.name, address: address, prefixLength: network.subnet.prefixLength,
                            gateway: network.subnet.gateway.description,
                            mac: IPv4Address(address).map(NetworkHub.mac(for:)),
                            ports: running ? ports ?? [] : [], egress: spec.egress, reachesHost: spec.reachesHost)
    }
}
