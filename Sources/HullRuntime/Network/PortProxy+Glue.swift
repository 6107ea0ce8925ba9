import Foundation
import NIOCore

/// One side of a TCP relay: the accepted client or the connection into the namespace.
/// NIO's glue-handler pattern (swift-nio-examples, connect-proxy): both channels live on one
/// event loop, each handler writes what it reads into its partner, and a side reads only
/// while its partner is writable (backpressure).
///
/// Endings:
/// - EOF on one side (half-close) → the partner's pending writes are flushed, then its
///   output is shut (shutdown(SHUT_WR)): the peer sees EOF after every byte.
/// - one side closed cleanly → the partner is flushed, then closed.
/// - an error on one side (reset, …) → the partner is reset: SO_LINGER {1,0} + close, so its
///   peer gets ECONNRESET and never mistakes the failure for a clean end.
final class GlueHandler {
    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    /// Output shut or being shut (after the writes queued so far).
    private var outputClosing = false
    private var closing = false
    /// What arrived before the partner did: NIO drains the socket when it sees the peer's
    /// EOF (EPOLLRDHUP) even while reads are held back, so a client that sends and shuts
    /// down before the namespace side is connected delivers here. Bounded by the socket's
    /// receive buffer.
    private var unpairedData: [NIOAny] = []
    private var unpairedEOF = false
    /// Runs once the channel is active (the client side starts its connect there).
    private let onActive: ((Channel) -> Void)?

    init(onActive: ((Channel) -> Void)? = nil) {
        self.onActive = onActive
    }

    /// Links the two handlers; both must be on the same event loop. Reads held back while
    /// unpaired start now.
    static func pair(_ a: GlueHandler, _ b: GlueHandler) {
        a.partner = b
        b.partner = a
        a.deliverUnpaired()
        b.deliverUnpaired()
        a.resumeReadIfPending()
        b.resumeReadIfPending()
    }

    private func deliverUnpaired() {
        guard let partner = self.partner else { return }
        let data = self.unpairedData
        self.unpairedData = []
        for chunk in data {
            partner.partnerWrite(chunk)
        }
        if !data.isEmpty {
            partner.partnerFlush()
        }
        if self.unpairedEOF {
            partner.partnerWriteEOF()
        }
    }

    private func resumeReadIfPending() {
        guard self.pendingRead, let context = self.context, self.partner?.partnerIsWritable == true else { return }
        self.pendingRead = false
        context.read()
    }

    // MARK: calls from the partner

    private var partnerIsWritable: Bool { self.context?.channel.isWritable ?? false }

    private func partnerWrite(_ data: NIOAny) {
        self.context?.write(data, promise: nil)
    }

    private func partnerFlush() {
        self.context?.flush()
    }

    private func partnerBecameWritable() {
        self.resumeReadIfPending()
    }

    /// The partner's peer sent EOF: flush what we have, then shutdown(SHUT_WR).
    private func partnerWriteEOF() {
        guard let context = self.context, !self.outputClosing, !self.closing else { return }
        self.outputClosing = true
        let channel = context.channel
        self.afterPendingWrites(context) { _ in
            channel.close(mode: .output, promise: nil)
        }
    }

    /// The partner closed cleanly: flush what we have, then close.
    private func partnerCloseFull() {
        guard let context = self.context, !self.closing else { return }
        self.closing = true
        let channel = context.channel
        self.afterPendingWrites(context) { _ in
            channel.close(promise: nil)
        }
    }

    /// The partner failed (reset, connect failure, …): reset our peer.
    func partnerReset() {
        guard let context = self.context else { return }
        self.closing = true
        Self.reset(context.channel)
    }

    /// SO_LINGER {1,0} then close: the peer gets a RST.
    static func reset(_ channel: Channel) {
        if let provider = channel as? SocketOptionProvider {
            provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
                channel.close(promise: nil)
            }
        } else {
            channel.close(promise: nil)
        }
    }

    /// Runs `body` once every write queued so far has gone to the socket (or failed): an empty
    /// write completes in order after them. NIO's close(mode: .output) on a channel whose
    /// input is already shut escalates to a full close that drops pending writes, so a close
    /// never overtakes data this way.
    private func afterPendingWrites(_ context: ChannelHandlerContext,
                                    _ body: @escaping @Sendable (Result<Void, Error>) -> Void) {
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(capacity: 0)), promise: promise)
        promise.futureResult.whenComplete(body)
    }
}

extension GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.partner = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.onActive?(context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let partner = self.partner {
            partner.partnerWrite(data)
        } else {
            self.unpairedData.append(data)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.partner?.partnerFlush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.partner?.partnerCloseFull()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            if let partner = self.partner {
                partner.partnerWriteEOF()
            } else {
                self.unpairedEOF = true
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A read/write error (ECONNRESET, EPIPE, …): NIO closes this channel after it; the
        // partner's peer must see a reset, not a clean end.
        self.closing = true
        self.partner?.partnerReset()
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.partner?.partnerBecameWritable()
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if self.partner?.partnerIsWritable == true {
            context.read()
        } else {
            self.pendingRead = true
        }
    }
}
