import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// `-p …/tcp` or `-p …/udp`.
public enum PortProtocol: String, Sendable, Codable {
    case tcp, udp
}

/// Why a published port could not be opened. Each message says what to do.
public enum PortProxyError: Error, Equatable, CustomStringConvertible {
    /// Not an IPv4/IPv6 literal (Hull never resolves names for a published port).
    case invalidAddress(String)
    case invalidPort(Int)
    /// Something else listens on that host address and port.
    case addressInUse(address: String, port: Int, proto: PortProtocol)
    /// The host has no interface with that address.
    case addressNotAvailable(address: String, port: Int)
    /// A port below 1024 without CAP_NET_BIND_SERVICE.
    case permissionDenied(address: String, port: Int)
    /// The network namespace file does not exist (the hub or the container's netns is gone).
    case namespaceMissing(path: String)
    /// The file exists but cannot be entered (not a netns, or no CAP_SYS_ADMIN).
    case namespaceUnusable(path: String, errno: Int32)
    /// Any other failure to listen.
    case listenFailed(address: String, port: Int, errno: Int32)

    public var description: String {
        switch self {
        case .invalidAddress(let address):
            return "'\(address)' is not an IP address: give a numeric IPv4 or IPv6 address (e.g. 127.0.0.1 or 0.0.0.0)"
        case .invalidPort(let port):
            return "port \(port) is out of range: use 1-65535 (or 0 on the host side for a free port)"
        case .addressInUse(let address, let port, let proto):
            return "\(address):\(port)/\(proto.rawValue) is already in use on the host: choose another host port, "
                + "or stop what listens there (ss -\(proto == .tcp ? "t" : "u")lnp 'sport = :\(port)')"
        case .addressNotAvailable(let address, let port):
            return "cannot listen on \(address):\(port): no host interface has the address \(address); "
                + "use one the host has (ip -brief addr), 127.0.0.1 or 0.0.0.0"
        case .permissionDenied(let address, let port):
            return "not allowed to listen on \(address):\(port): ports below 1024 need root or "
                + "CAP_NET_BIND_SERVICE; run hulld as root or publish on a port >= 1024"
        case .namespaceMissing(let path):
            return "the network namespace \(path) does not exist: the container's network is gone; "
                + "restart the container (or hulld, which re-creates its network hub)"
        case .namespaceUnusable(let path, let errno):
            return "cannot enter the network namespace \(path): \(String(cString: strerror(errno))); "
                + "it must be a netns file (/run/netns/NAME) and hulld needs CAP_SYS_ADMIN"
        case .listenFailed(let address, let port, let errno):
            return "cannot listen on \(address):\(port): \(String(cString: strerror(errno)))"
        }
    }
}

/// A published port (docs/networking-research.md §4, "Published ports" (a)): listens in the
/// calling (host) netns and relays each TCP connection, or each UDP client's flow, to
/// `targetAddress:targetPort` as seen inside the network namespace at `namespacePath`,
/// through a socket made in that namespace (NetnsSocket).
///
/// TCP: full duplex with backpressure and half-close (GlueHandler); a refused, timed out or
/// reset connection inside the namespace resets the client (SO_LINGER {1,0}); beyond
/// `Limits.maxConnections` new clients are reset at once.
/// UDP: one socket per client address, closed after `Limits.udpIdleTimeout` without traffic;
/// beyond `Limits.maxUDPFlows` datagrams of new clients are dropped.
public final class PortProxy: Sendable {
    public struct Limits: Sendable {
        public var maxConnections: Int
        public var connectTimeout: TimeAmount
        public var maxUDPFlows: Int
        public var udpIdleTimeout: TimeAmount

        public init(maxConnections: Int = 1024, connectTimeout: TimeAmount = .seconds(5),
                    maxUDPFlows: Int = 1024, udpIdleTimeout: TimeAmount = .seconds(60)) {
            self.maxConnections = maxConnections
            self.connectTimeout = connectTimeout
            self.maxUDPFlows = maxUDPFlows
            self.udpIdleTimeout = udpIdleTimeout
        }
    }

    public let proto: PortProtocol
    public let hostAddress: String
    /// The host port listened on (the one picked when 0 was asked).
    public let boundPort: Int
    public let namespacePath: String
    public let targetAddress: String
    public let targetPort: Int

    private let listener: Channel
    let registry: ChannelRegistry

    private init(proto: PortProtocol, hostAddress: String, boundPort: Int, namespacePath: String,
                 targetAddress: String, targetPort: Int, listener: Channel, registry: ChannelRegistry) {
        self.proto = proto
        self.hostAddress = hostAddress
        self.boundPort = boundPort
        self.namespacePath = namespacePath
        self.targetAddress = targetAddress
        self.targetPort = targetPort
        self.listener = listener
        self.registry = registry
    }

    /// Listens on hostAddress:hostPort (0 = a free port) in the calling (host) netns; each
    /// connection/flow goes to targetAddress:targetPort as seen inside the network namespace
    /// at namespacePath (a file such as /run/netns/NAME). Throws `PortProxyError`.
    public static func start(hostAddress: String, hostPort: Int, proto: PortProtocol, namespacePath: String,
                             targetAddress: String, targetPort: Int, logger: Logger,
                             limits: Limits = Limits()) async throws -> PortProxy {
        guard (0...65535).contains(hostPort) else { throw PortProxyError.invalidPort(hostPort) }
        guard (1...65535).contains(targetPort) else { throw PortProxyError.invalidPort(targetPort) }
        let host = try ipAddress(hostAddress, port: hostPort)
        let target = try ipAddress(targetAddress, port: targetPort)

        let rc = await NetnsSocket.check(namespacePath: namespacePath)
        if rc == -ENOENT || rc == -ENOTDIR {
            throw PortProxyError.namespaceMissing(path: namespacePath)
        } else if rc < 0 {
            throw PortProxyError.namespaceUnusable(path: namespacePath, errno: -rc)
        }

        var logger = logger
        logger[metadataKey: "port"] = "\(hostAddress):\(hostPort)/\(proto.rawValue)"
        logger[metadataKey: "target"] = "\(targetAddress):\(targetPort)"
        let registry = ChannelRegistry(limit: proto == .tcp ? limits.maxConnections : limits.maxUDPFlows)
        let context = RelayContext(namespacePath: namespacePath, target: target, limits: limits,
                                   registry: registry, logger: logger)
        let group = MultiThreadedEventLoopGroup.singleton
        let listener: Channel
        do {
            switch proto {
            case .tcp:
                listener = try await TCPRelay.listen(on: host, group: group, context: context)
            case .udp:
                listener = try await UDPRelay.listen(on: host, group: group, context: context)
            }
        } catch let error as IOError {
            switch error.errnoCode {
            case EADDRINUSE: throw PortProxyError.addressInUse(address: hostAddress, port: hostPort, proto: proto)
            case EADDRNOTAVAIL: throw PortProxyError.addressNotAvailable(address: hostAddress, port: hostPort)
            case EACCES, EPERM: throw PortProxyError.permissionDenied(address: hostAddress, port: hostPort)
            default: throw PortProxyError.listenFailed(address: hostAddress, port: hostPort, errno: error.errnoCode)
            }
        }
        let port = listener.localAddress?.port ?? hostPort
        registry.setListener(listener)
        logger.debug("published port open", metadata: ["boundPort": "\(port)"])
        return PortProxy(proto: proto, hostAddress: hostAddress, boundPort: port, namespacePath: namespacePath,
                         targetAddress: targetAddress, targetPort: targetPort, listener: listener,
                         registry: registry)
    }

    /// Open connections (TCP: client connections; UDP: flows).
    public var activeCount: Int { self.registry.activeCount }

    /// Closes the listener and every open connection/flow; connections still being made into
    /// the namespace are closed when they complete. Idempotent.
    public func stop() async {
        let channels = self.registry.stop()
        try? await self.listener.close()
        for channel in channels {
            channel.close(promise: nil)
        }
        for channel in channels {
            try? await channel.closeFuture.get()
        }
    }

    private static func ipAddress(_ text: String, port: Int) throws -> SocketAddress {
        do {
            return try SocketAddress(ipAddress: text, port: port)
        } catch {
            throw PortProxyError.invalidAddress(text)
        }
    }
}

/// What every connection of one proxy needs.
struct RelayContext: Sendable {
    let namespacePath: String
    let target: SocketAddress
    let limits: PortProxy.Limits
    let registry: ChannelRegistry
    let logger: Logger
}

/// The open channels of one proxy, so stop() can close them, and the admission bound.
final class ChannelRegistry: Sendable {
    private struct State {
        var stopped = false
        var admitted = 0
        var channels: [ObjectIdentifier: Channel] = [:]
        var listener: Channel?
    }

    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func setListener(_ channel: Channel) {
        self.state.withLock { $0.listener = channel }
    }

    var activeCount: Int { self.state.withLock { $0.admitted } }
    var isStopped: Bool { self.state.withLock { $0.stopped } }

    /// Counts a new connection/flow against the limit and tracks its channel: false when the
    /// proxy is stopped or full. `release` undoes it.
    func admit(_ channel: Channel?) -> Bool {
        self.state.withLock { state in
            guard !state.stopped, state.admitted < self.limit else { return false }
            state.admitted += 1
            if let channel { state.channels[ObjectIdentifier(channel)] = channel }
            return true
        }
    }

    func release(_ channel: Channel?) {
        self.state.withLock { state in
            state.admitted -= 1
            if let channel { state.channels[ObjectIdentifier(channel)] = nil }
        }
    }

    /// Tracks a channel that does not count against the limit (the namespace side): false
    /// when the proxy is stopped (the caller closes it).
    func track(_ channel: Channel) -> Bool {
        self.state.withLock { state in
            guard !state.stopped else { return false }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func untrack(_ channel: Channel) {
        self.state.withLock { $0.channels[ObjectIdentifier(channel)] = nil }
    }

    /// Marks the proxy stopped; the channels to close.
    func stop() -> [Channel] {
        self.state.withLock { state in
            state.stopped = true
            return Array(state.channels.values)
        }
    }
}

/// TCP: accept in the host netns, connect in the namespace, glue the two.
enum TCPRelay {
    static func listen(on address: SocketAddress, group: EventLoopGroup, context: RelayContext) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { client in
                accept(client, context: context)
            }
            .bind(to: address).get()
    }

    private static func accept(_ client: Channel, context: RelayContext) -> EventLoopFuture<Void> {
        let loop = client.eventLoop
        guard context.registry.admit(client) else {
            context.logger.warning("published port: too many connections, resetting a new one",
                                   metadata: ["limit": "\(context.registry.limit)"])
            return loop.makeCompletedFuture { try client.pipeline.syncOperations.addHandler(ResetOnActive()) }
        }
        client.closeFuture.whenComplete { _ in context.registry.release(client) }
        // Connect once the client is active: then !isActive means it is gone.
        return loop.makeCompletedFuture {
            try client.pipeline.syncOperations.addHandler(GlueHandler(onActive: { client in
                connect(client, context: context)
            }))
        }
    }

    private static func connect(_ client: Channel, context: RelayContext) {
        let loop = client.eventLoop
        NetnsSocket.dial(namespacePath: context.namespacePath, type: Int32(SOCK_STREAM.rawValue),
                         target: context.target, timeout: context.limits.connectTimeout, on: loop)
            .flatMap { fd -> EventLoopFuture<Channel> in
                guard client.isActive, !context.registry.isStopped else {
                    close(fd)
                    return loop.makeFailedFuture(ChannelError.ioOnClosedChannel)
                }
                return ClientBootstrap(group: loop)
                    .channelOption(.allowRemoteHalfClosure, value: true)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .channelInitializer { server in
                        server.eventLoop.makeCompletedFuture {
                            try server.pipeline.syncOperations.addHandler(GlueHandler())
                        }
                    }
                    .withConnectedSocket(fd)
            }
            .whenComplete { result in
                switch result {
                case .success(let server):
                    guard client.isActive, context.registry.track(server) else {
                        server.close(promise: nil)
                        return
                    }
                    server.closeFuture.whenComplete { _ in context.registry.untrack(server) }
                    guard let clientHandler = try? client.pipeline.syncOperations.handler(type: GlueHandler.self),
                          let serverHandler = try? server.pipeline.syncOperations.handler(type: GlueHandler.self) else {
                        server.close(promise: nil)
                        GlueHandler.reset(client)
                        return
                    }
                    GlueHandler.pair(clientHandler, serverHandler)
                case .failure(let error):
                    if client.isActive {
                        context.logger.debug("published port: connect in the namespace failed, resetting the client",
                                             metadata: ["error": "\(error)"])
                        GlueHandler.reset(client)
                    }
                }
            }
    }
}

/// Resets a connection as soon as it is active (over the connection limit).
private final class ResetOnActive: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        GlueHandler.reset(context.channel)
    }
}
