import Foundation
import Logging
import NIOCore
import NIOPosix

/// UDP: one socket in the namespace per client address (a flow), connected to the target so
/// only the target's replies come back; they go out of the listener to that client. A flow
/// closes after `udpIdleTimeout` without a datagram either way (NIO's IdleStateHandler).
enum UDPRelay {
    /// Datagrams kept per flow while its socket is being made.
    static let maxQueuedWhileConnecting = 64

    static func listen(on address: SocketAddress, group: EventLoopGroup, context: RelayContext) async throws -> Channel {
        try await DatagramBootstrap(group: group)
            .channelInitializer { listener in
                listener.eventLoop.makeCompletedFuture {
                    try listener.pipeline.syncOperations.addHandler(UDPListenerHandler(context: context))
                }
            }
            .bind(to: address).get()
    }
}

/// On the listener: routes each client's datagrams to its flow, making flows on demand.
private final class UDPListenerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private enum Flow {
        case connecting([ByteBuffer])
        case ready(Channel)
    }

    private let context: RelayContext
    private var flows: [SocketAddress: Flow] = [:]
    private var droppedForLimit = 0

    init(context: RelayContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        let client = envelope.remoteAddress
        switch self.flows[client] {
        case .ready(let flow):
            flow.writeAndFlush(AddressedEnvelope(remoteAddress: self.context.target, data: envelope.data), promise: nil)
        case .connecting(var queued):
            if queued.count < UDPRelay.maxQueuedWhileConnecting {
                queued.append(envelope.data)
                self.flows[client] = .connecting(queued)
            }
        case nil:
            self.openFlow(for: client, first: envelope.data, listener: context.channel)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for case .ready(let flow) in self.flows.values {
            flow.close(promise: nil)
        }
        context.fireChannelInactive()
    }

    private func openFlow(for client: SocketAddress, first: ByteBuffer, listener: Channel) {
        let relay = self.context
        guard relay.registry.admit(nil) else {
            self.droppedForLimit += 1
            if self.droppedForLimit == 1 || self.droppedForLimit % 1000 == 0 {
                relay.logger.warning("published port: too many UDP flows, dropping datagrams of new clients",
                                     metadata: ["limit": "\(relay.registry.limit)", "dropped": "\(self.droppedForLimit)"])
            }
            return
        }
        self.flows[client] = .connecting([first])
        let loop = listener.eventLoop
        let this = NIOLoopBound(self, eventLoop: loop)
        let idle = relay.limits.udpIdleTimeout
        NetnsSocket.dial(namespacePath: relay.namespacePath, type: Int32(SOCK_DGRAM.rawValue),
                         target: relay.target, timeout: relay.limits.connectTimeout, on: loop)
            .flatMap { fd -> EventLoopFuture<Channel> in
                DatagramBootstrap(group: loop)
                    .channelInitializer { flow in
                        flow.eventLoop.makeCompletedFuture {
                            try flow.pipeline.syncOperations.addHandlers([
                                IdleStateHandler(allTimeout: idle),
                                UDPFlowHandler(listener: listener, client: client),
                            ])
                        }
                    }
                    .withBoundSocket(fd)
            }
            .whenComplete { result in
                let handler = this.value
                switch result {
                case .success(let flow):
                    flow.closeFuture.whenComplete { _ in
                        relay.registry.untrack(flow)
                        relay.registry.release(nil)
                        this.value.flows[client] = nil
                    }
                    guard listener.isActive, relay.registry.track(flow) else {
                        flow.close(promise: nil)
                        return
                    }
                    if case .connecting(let queued) = handler.flows[client] {
                        for datagram in queued {
                            flow.write(AddressedEnvelope(remoteAddress: relay.target, data: datagram), promise: nil)
                        }
                        flow.flush()
                    }
                    handler.flows[client] = .ready(flow)
                case .failure(let error):
                    relay.registry.release(nil)
                    handler.flows[client] = nil
                    relay.logger.debug("published port: UDP socket in the namespace failed",
                                       metadata: ["error": "\(error)", "client": "\(client)"])
                }
            }
    }
}

/// On a flow's socket: the target's replies go to the client; idle → close.
private final class UDPFlowHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let listener: Channel
    private let client: SocketAddress

    init(listener: Channel, client: SocketAddress) {
        self.listener = listener
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        self.listener.writeAndFlush(AddressedEnvelope(remoteAddress: self.client, data: envelope.data), promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // ECONNREFUSED (ICMP port unreachable from the target) is not fatal for UDP: keep the
        // flow, as the client may retry. NIO closes the channel itself on fatal errors.
    }
}
