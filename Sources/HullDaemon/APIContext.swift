import Hummingbird
import NIOCore

/// The request context of hulld's routes: Hummingbird's basic one plus the connection,
/// so a route can notice its client going away (a foreground container's follower).
struct APIContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's connection; its closeFuture completes when the client disconnects.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
