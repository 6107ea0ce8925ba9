import CHullRuntime
import Foundation
import Glibc
import Synchronization

/// The `--console-socket` of `runc create` / `runsc create`: the runtime makes the
/// container's pty and sends its controlling side here (SCM_RIGHTS).
final class ConsoleSocket: Sendable {
    let path: String
    private let listener: Int32
    private let cancelled = Atomic<Bool>(false)

    init(path: String) throws {
        self.path = path
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw ChildProcessError(what: "console socket", code: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(listener)
            throw ChildProcessError(what: "console socket path \(path)", code: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        unlink(path)  // one left by an earlier start of the same container
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(listener, 1) == 0 else {
            let code = errno
            close(listener)
            throw ChildProcessError(what: "console socket \(path)", code: code)
        }
    }

    deinit {
        close(listener)
        unlink(path)
    }

    /// Stops a `receiveTerminal` that waits (the runtime failed and will send nothing).
    func cancel() {
        cancelled.store(true, ordering: .relaxed)
    }

    /// The pty's controlling side, once the runtime sends it; nil when none comes within
    /// `timeout` (the runtime failed) or the message carries no descriptor.
    func receiveTerminal(timeout: Duration) async -> Int32? {
        let listener = self.listener
        return await withCheckedContinuation { (c: CheckedContinuation<Int32?, Never>) in
            Thread { [self] in
                let deadline = ContinuousClock.now + timeout
                var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                while poll(&pfd, 1, 50) != 1 {
                    if cancelled.load(ordering: .relaxed) || ContinuousClock.now > deadline { return c.resume(returning: nil) }
                }
                let connection = hull_accept_cloexec(listener)
                guard connection >= 0 else { return c.resume(returning: nil) }
                defer { close(connection) }
                c.resume(returning: ConsoleSocket.receiveDescriptor(connection))
            }.start()
        }
    }

    /// One message with one SCM_RIGHTS descriptor (cmsghdr: size_t len, int level, int type, data).
    static func receiveDescriptor(_ connection: Int32) -> Int32? {
        var data = [UInt8](repeating: 0, count: 4096)
        var control = [UInt8](repeating: 0, count: 64)
        let headerSize = MemoryLayout<Int>.size + 8
        return data.withUnsafeMutableBytes { dataRaw in
            control.withUnsafeMutableBytes { controlRaw -> Int32? in
                var vector = iovec(iov_base: dataRaw.baseAddress, iov_len: dataRaw.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer -> Int32? in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlRaw.baseAddress
                    message.msg_controllen = controlRaw.count
                    guard recvmsg(connection, &message, Int32(MSG_CMSG_CLOEXEC)) > 0,
                          message.msg_controllen >= headerSize + 4 else { return nil }
                    let length = controlRaw.load(fromByteOffset: 0, as: Int.self)
                    let level = controlRaw.load(fromByteOffset: MemoryLayout<Int>.size, as: Int32.self)
                    let type = controlRaw.load(fromByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self)
                    guard length >= headerSize + 4, level == SOL_SOCKET, type == Int32(SCM_RIGHTS) else { return nil }
                    return controlRaw.load(fromByteOffset: headerSize, as: Int32.self)
                }
            }
        }
    }
}
