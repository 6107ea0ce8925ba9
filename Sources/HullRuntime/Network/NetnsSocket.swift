import CHullRuntime
import Foundation
import NIOCore

/// Sockets made inside another network namespace (docs/networking-research.md §4,
/// "Published ports" (a)).
///
/// setns(CLONE_NEWNET) changes the netns of the calling thread only, and a socket keeps the
/// netns it was made in. So each socket is made on a short-lived thread of its own: it
/// enters the namespace, makes and connects the socket, hands the fd back and exits, which
/// discards its netns. No thread of NIO or of Swift concurrency ever changes namespace.
/// The namespace file is opened per socket (a few µs), so no fd of it outlives `stop()`
/// and a hub that is re-made at the same path is followed.
enum NetnsSocket {
    /// Stack size of the throwaway threads: they only run a few syscalls.
    static let threadStackSize = 128 * 1024

    /// A connected non-blocking socket of `type` (SOCK_STREAM / SOCK_DGRAM) to `target`,
    /// made in the netns at `namespacePath`, delivered on `eventLoop`. Fails with
    /// `IOError` (ECONNREFUSED, ETIMEDOUT after `timeout`, ENOENT when the namespace is gone, …).
    /// The caller owns the fd.
    static func dial(namespacePath: String, type: Int32, target: SocketAddress, timeout: TimeAmount,
                     on eventLoop: EventLoop) -> EventLoopFuture<CInt> {
        let promise = eventLoop.makePromise(of: CInt.self)
        let timeoutMs = Int32(clamping: max(1, timeout.nanoseconds / 1_000_000))
        runOnThrowawayThread {
            let rc = withSockAddr(target) { addr, len in
                hull_netns_dial(namespacePath, type, addr, len, timeoutMs)
            }
            if rc >= 0 {
                promise.succeed(rc)
            } else {
                promise.fail(IOError(errnoCode: -rc, reason: "connect to \(target) in \(namespacePath)"))
            }
        }
        return promise.futureResult
    }

    /// Checks on a throwaway thread that `namespacePath` can be entered: 0 or -errno.
    static func check(namespacePath: String) async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            runOnThrowawayThread {
                continuation.resume(returning: hull_netns_enter(namespacePath))
            }
        }
    }

    private static func runOnThrowawayThread(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = "hull-netns"
        thread.stackSize = threadStackSize
        thread.start()
    }

    private static func withSockAddr<R>(_ address: SocketAddress,
                                        _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch address {
        case .v4(let v4):
            var sa = v4.address
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(let v6):
            var sa = v6.address
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        case .unixDomainSocket:
            preconditionFailure("NetnsSocket.dial takes IP addresses only")
        }
    }
}
