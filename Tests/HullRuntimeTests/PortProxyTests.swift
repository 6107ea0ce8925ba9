import Foundation
import Glibc
@testable import HullRuntime
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The published-port proxy (PortProxy) against servers inside network namespaces the tests
/// make (`hpp-<pid>-<n>`), reached only through the proxy on the host's 127.0.0.1. Runs as
/// root (ip netns). Traffic stays on loopback and inside those namespaces.
@Suite("Published-port proxy", .serialized)
struct PortProxyTests {
    let logger = Logger(label: "portproxy-test")

    /// A proxy from a free port of 127.0.0.1 to 127.0.0.1:`port` inside `ns`.
    private func tcpProxy(_ ns: TestNamespace, to port: Int) async throws -> PortProxy {
        try await PortProxy.start(hostAddress: "127.0.0.1", hostPort: 0, proto: .tcp, namespacePath: ns.path,
                                  targetAddress: "127.0.0.1", targetPort: port, logger: logger)
    }

    /// The test's Python server in `mode` on port 9000 inside `ns`, answering.
    private func pythonServer(_ ns: TestNamespace, mode: String) async throws -> (TestDir, Server) {
        let script = try TestDir()
        let server = try ns.spawnPython(script, mode: mode, port: 9000)
        try await ns.waitForTCP(port: 9000)
        return (script, server)
    }

    @Test("an HTTP GET through the proxy returns the file")
    func httpGet() async throws {
        try await withNamespace { ns in
            let dir = try TestDir()
            defer { dir.remove() }
            try Data("hello through the hub\n".utf8).write(to: dir.url.appendingPathComponent("hello.txt"))
            let server = try ns.spawn(["busybox", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", dir.url.path])
            defer { server.stop() }
            try await ns.waitForTCP(port: 8080)

            let proxy = try await tcpProxy(ns, to: 8080)
            #expect(proxy.boundPort > 0)
            let reply = try await offPool { try fetchHTTP(port: proxy.boundPort, path: "/hello.txt") }
            #expect(reply.status.hasPrefix("HTTP/1.") && reply.status.contains("200"))
            #expect(String(decoding: reply.body, as: UTF8.self) == "hello through the hub\n")
            await proxy.stop()
        }
    }

    @Test("10 MB arrive intact through the proxy; timed against a socket made directly in the netns")
    func bigTransfer() async throws {
        try await withNamespace { ns in
            let dir = try TestDir()
            defer { dir.remove() }
            let size = 10 << 20
            let urandom = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
            let content = try urandom.read(upToCount: size) ?? Data()
            try urandom.close()
            #expect(content.count == size)
            try content.write(to: dir.url.appendingPathComponent("big.bin"))
            let server = try ns.spawn(["busybox", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", dir.url.path])
            defer { server.stop() }
            try await ns.waitForTCP(port: 8080)
            let proxy = try await tcpProxy(ns, to: 8080)
            defer { Task { await proxy.stop() } }

            var proxied = Duration.zero
            var direct = Duration.zero
            for _ in 0..<3 {
                let clock = ContinuousClock()
                let start = clock.now
                let reply = try await offPool { try fetchHTTP(port: proxy.boundPort, path: "/big.bin") }
                proxied += clock.now - start
                #expect(reply.body.count == size)
                let intact = Data(reply.body) == content
                #expect(intact)

                let fd = try await ns.dialDirect(port: 8080)
                let start2 = clock.now
                let directReply = try await offPool { try fetchHTTP(fd: fd, path: "/big.bin") }
                direct += clock.now - start2
                let directIntact = Data(directReply.body) == content
                #expect(directIntact)
            }
            func mbps(_ d: Duration) -> Int {
                let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
                return Int(Double(3 * size) / seconds / 1e6)
            }
            print("PortProxy 10 MB x3: proxied \(proxied) (\(mbps(proxied)) MB/s), direct in netns \(direct) (\(mbps(direct)) MB/s)")
        }
    }

    @Test("half-close: the client's EOF reaches the server and its whole reply still arrives")
    func halfClose() async throws {
        try await withNamespace { ns in
            let (script, server) = try await pythonServer(ns, mode: "halfclose")
            defer { server.stop(); script.remove() }
            let proxy = try await tcpProxy(ns, to: 9000)
            defer { Task { await proxy.stop() } }
            let sent = 300_000
            let reply = try await offPool { () -> [UInt8] in
                let fd = try tcpConnect(port: proxy.boundPort)
                defer { close(fd) }
                try sendAll(fd, [UInt8](repeating: 0x61, count: sent))
                shutdown(fd, Int32(SHUT_WR))
                let (bytes, err) = readAll(fd)
                guard err == 0 else { throw POSIXError(POSIXErrorCode(rawValue: err) ?? .EIO) }
                return bytes
            }
            let header = "got \(sent)\n"
            #expect(reply.count == header.utf8.count + (1 << 20))
            #expect(String(decoding: reply.prefix(header.utf8.count), as: UTF8.self) == header)
        }
    }

    @Test("a closed port in the namespace resets the client promptly")
    func refusedIsReset() async throws {
        try await withNamespace { ns in
            let proxy = try await PortProxy.start(hostAddress: "127.0.0.1", hostPort: 0, proto: .tcp,
                                                  namespacePath: ns.path, targetAddress: "127.0.0.1",
                                                  targetPort: 9 /* nothing listens */, logger: logger)
            defer { Task { await proxy.stop() } }
            let clock = ContinuousClock()
            let start = clock.now
            let err = try await offPool { () -> Int32 in
                let fd = try tcpConnect(port: proxy.boundPort)
                defer { close(fd) }
                _ = try? sendAll(fd, Array("GET / HTTP/1.0\r\n\r\n".utf8))
                return readAll(fd).errno
            }
            #expect(err == ECONNRESET)
            #expect(clock.now - start < .seconds(1))
        }
    }

    @Test("a reset from the server in the namespace reaches the client as a reset")
    func serverResetIsReset() async throws {
        try await withNamespace { ns in
            let (script, server) = try await pythonServer(ns, mode: "reset")
            defer { server.stop(); script.remove() }
            let proxy = try await tcpProxy(ns, to: 9000)
            defer { Task { await proxy.stop() } }
            let err = try await offPool { () -> Int32 in
                let fd = try tcpConnect(port: proxy.boundPort)
                defer { close(fd) }
                try sendAll(fd, Array("hello".utf8))
                return readAll(fd, timeoutSeconds: 3).errno
            }
            #expect(err == ECONNRESET)
        }
    }

    @Test("a connect that never completes is reset after the connect timeout")
    func connectTimeoutIsReset() async throws {
        try await withNamespace { ns in
            // A veth pair inside the namespace with nobody at 10.231.0.2: the SYN is never
            // answered (ARP goes unanswered) and stays inside the namespace.
            try ns.ip(["link", "add", "v0", "type", "veth", "peer", "name", "v1"])
            try ns.ip(["addr", "add", "10.231.0.1/24", "dev", "v0"])
            try ns.ip(["link", "set", "v0", "up"])
            try ns.ip(["link", "set", "v1", "up"])
            let proxy = try await PortProxy.start(hostAddress: "127.0.0.1", hostPort: 0, proto: .tcp,
                                                  namespacePath: ns.path, targetAddress: "10.231.0.2",
                                                  targetPort: 80, logger: logger,
                                                  limits: .init(connectTimeout: .milliseconds(500)))
            defer { Task { await proxy.stop() } }
            let clock = ContinuousClock()
            let start = clock.now
            let err = try await offPool { () -> Int32 in
                let fd = try tcpConnect(port: proxy.boundPort)
                defer { close(fd) }
                return readAll(fd).errno
            }
            let elapsed = clock.now - start
            #expect(err == ECONNRESET)
            #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(3))
        }
    }

    @Test("50 concurrent connections all succeed")
    func concurrentConnections() async throws {
        try await withNamespace { ns in
            let (script, server) = try await pythonServer(ns, mode: "echo")
            defer { server.stop(); script.remove() }
            let proxy = try await tcpProxy(ns, to: 9000)
            defer { Task { await proxy.stop() } }
            let port = proxy.boundPort
            let ok = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<50 {
                    group.addTask {
                        try await offPool {
                            let fd = try tcpConnect(port: port)
                            defer { close(fd) }
                            let message = Array("connection \(i) ".utf8) + [UInt8](repeating: UInt8(i), count: 20_000)
                            try sendAll(fd, message)
                            shutdown(fd, Int32(SHUT_WR))
                            let (bytes, err) = readAll(fd)
                            return err == 0 && bytes == message
                        }
                    }
                }
                var ok = 0
                for try await result in group where result { ok += 1 }
                return ok
            }
            #expect(ok == 50)
        }
    }

    @Test("beyond maxConnections new clients are reset; the others carry on")
    func connectionLimit() async throws {
        try await withNamespace { ns in
            let (script, server) = try await pythonServer(ns, mode: "echo")
            defer { server.stop(); script.remove() }
            let proxy = try await PortProxy.start(hostAddress: "127.0.0.1", hostPort: 0, proto: .tcp,
                                                  namespacePath: ns.path, targetAddress: "127.0.0.1",
                                                  targetPort: 9000, logger: logger,
                                                  limits: .init(maxConnections: 2))
            defer { Task { await proxy.stop() } }
            let port = proxy.boundPort
            let (echoes, third, active) = try await offPool { () -> ([[UInt8]], Int32, [UInt8]) in
                let a = try tcpConnect(port: port)
                let b = try tcpConnect(port: port)
                defer { close(a); close(b) }
                try sendAll(a, Array("a".utf8))
                try sendAll(b, Array("b".utf8))
                let echoes = [readSome(a), readSome(b)]
                let c = try tcpConnect(port: port)
                defer { close(c) }
                let third = readAll(c).errno
                try sendAll(a, Array("still".utf8))
                return (echoes, third, readSome(a))
            }
            #expect(echoes == [Array("a".utf8), Array("b".utf8)])
            #expect(third == ECONNRESET)
            #expect(active == Array("still".utf8))
            try await Task.sleep(for: .milliseconds(100))
            #expect(proxy.activeCount == 0)
        }
    }

    @Test("stop() closes open connections and new connects are refused")
    func stopClosesEverything() async throws {
        try await withNamespace { ns in
            let (script, server) = try await pythonServer(ns, mode: "echo")
            defer { server.stop(); script.remove() }
            let proxy = try await tcpProxy(ns, to: 9000)
            let port = proxy.boundPort
            let (fd, echo) = try await offPool { () -> (Int32, [UInt8]) in
                let fd = try tcpConnect(port: port)
                try sendAll(fd, Array("ping".utf8))
                return (fd, readSome(fd))
            }
            defer { close(fd) }
            #expect(echo == Array("ping".utf8))
            #expect(proxy.activeCount == 1)
            await proxy.stop()
            let ended = try await offPool { readAll(fd, timeoutSeconds: 3) }
            #expect(ended.bytes.isEmpty)
            #expect(ended.errno == 0 || ended.errno == ECONNRESET)  // EOF or reset, not a timeout
            #expect(proxy.activeCount == 0)
            do {
                let fd = try await offPool { try tcpConnect(port: port) }
                close(fd)
                Issue.record("a connect after stop() succeeded")
            } catch let error as POSIXError {
                #expect(error.code == .ECONNREFUSED)
            }
        }
    }

    @Test("start on a port in use, a bad address or a missing netns fails with a typed error")
    func startErrors() async throws {
        try await withNamespace { ns in
            let first = try await tcpProxy(ns, to: 80)
            defer { Task { await first.stop() } }
            let port = first.boundPort
            await #expect(throws: PortProxyError.addressInUse(address: "127.0.0.1", port: port, proto: .tcp)) {
                _ = try await PortProxy.start(hostAddress: "127.0.0.1", hostPort: port, proto: .tcp,
                                              namespacePath: ns.path, targetAddress: "127.0.0.1",
                                              targetPort: 80, logger: logger)
            }
            let udp = try await PortProxy.start(hostAddress: "127.0.0.1", hostPort: 0, proto: .udp,
                                                namespacePath: ns.path, targetAddress: "127.0.0.1",
                                                targetPort: 53, logger: logger)
            defer { Task { await udp.stop() } }
            await #expect(throws: PortProxyError.addressInUse(address: "127.0.0.1", port: udp.boundPort, proto: .udp)) {
                _ = try await PortProxy.start(hostAddress: "127.0.0.1", hostPort: udp.boundPort, proto: .udp,
                                              namespacePath: ns.path, targetAddress: "127.0.0.1",
                                              targetPort: 53, logger: logger)
            }
            await #expect(throws: PortProxyError.invalidAddress("localhost")) {
                _ = try await PortProxy.start(hostAddress: "localhost", hostPort: 0, proto: .tcp,
                                              namespacePath: ns.path, targetAddress: "127.0.0.1",
                                              targetPort: 80, logger: logger)
            }
            // 198.51.100.0/24 is TEST-NET-2: no interface here has it. Nothing is sent: bind only.
            await #expect(throws: PortProxyError.addressNotAvailable(address: "198.51.100.77", port: 0)) {
                _ = try await PortProxy.start(hostAddress: "198.51.100.77", hostPort: 0, proto: .tcp,
                                              namespacePath: ns.path, targetAddress: "127.0.0.1",
                                              targetPort: 80, logger: logger)
            }
            let missing = "/run/netns/hpp-missing-\(getpid())"
            await #expect(throws: PortProxyError.namespaceMissing(path: missing)) {
                _ = try await PortProxy.start(hostAddress: "127.0.0.1", hostPort: 0, proto: .tcp,
                                              namespacePath: missing, targetAddress: "127.0.0.1",
                                              targetPort: 80, logger: logger)
            }
            await #expect(throws: PortProxyError.namespaceUnusable(path: "/etc/hostname", errno: EINVAL)) {
                _ = try await PortProxy.start(hostAddress: "127.0.0.1", hostPort: 0, proto: .tcp,
                                              namespacePath: "/etc/hostname", targetAddress: "127.0.0.1",
                                              targetPort: 80, logger: logger)
            }
            print("PortProxyError sample: \(PortProxyError.addressInUse(address: "127.0.0.1", port: port, proto: .tcp))")
        }
    }

    @Test("UDP: datagrams go through per-client flows and the replies come back")
    func udpEcho() async throws {
        try await withNamespace { ns in
            let script = try TestDir()
            defer { script.remove() }
            let server = try ns.spawnPython(script, mode: "udpecho", port: 9053)
            defer { server.stop() }
            let proxy = try await PortProxy.start(hostAddress: "127.0.0.1", hostPort: 0, proto: .udp,
                                                  namespacePath: ns.path, targetAddress: "127.0.0.1",
                                                  targetPort: 9053, logger: logger,
                                                  limits: .init(udpIdleTimeout: .milliseconds(700)))
            defer { Task { await proxy.stop() } }
            let port = proxy.boundPort
            let replies = try await offPool { () -> [String] in
                let a = try udpSocket()
                let b = try udpSocket()
                defer { close(a); close(b) }
                // The server may still be starting: retry the first datagram.
                var first: String?
                for _ in 0..<50 where first == nil {
                    try udpSend(a, port: port, "one")
                    first = udpReceive(a, timeoutMs: 200)
                }
                try udpSend(b, port: port, "two")
                let second = udpReceive(b, timeoutMs: 2000)
                try udpSend(a, port: port, "three")
                let third = udpReceive(a, timeoutMs: 2000)
                return [first ?? "-", second ?? "-", third ?? "-"]
            }
            #expect(replies == ["echo:one", "echo:two", "echo:three"])
            #expect(proxy.activeCount == 2)
            try await Task.sleep(for: .milliseconds(1600))
            #expect(proxy.activeCount == 0)  // idle flows closed
        }
    }
}

// MARK: - namespaces and servers

private let namespaceCounter = Counter()

private final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}

private struct TestNamespace: Sendable {
    let name: String
    var path: String { "/run/netns/\(name)" }

    func ip(_ args: [String]) throws {
        try runTool("/usr/sbin/ip", ["-n", name] + args)
    }

    /// `ip netns exec NAME ARGS…`: `ip` execs the command, so the pid is the server's.
    func spawn(_ args: [String]) throws -> Server {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", name] + args
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return Server(process: process)
    }

    func spawnPython(_ dir: TestDir, mode: String, port: Int) throws -> Server {
        let script = dir.url.appendingPathComponent("server.py")
        try Data(pythonServer.utf8).write(to: script)
        return try spawn([pythonPath(), script.path, mode, "\(port)"])
    }

    /// A socket made straight in the namespace (no proxy), connected to 127.0.0.1:port.
    func dialDirect(port: Int) async throws -> Int32 {
        let fd = try await NetnsSocket.dial(namespacePath: path, type: Int32(SOCK_STREAM.rawValue),
                                            target: try SocketAddress(ipAddress: "127.0.0.1", port: port),
                                            timeout: .seconds(2), on: MultiThreadedEventLoopGroup.singleton.next()).get()
        // Blocking, for the test's plain read loop.
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        return fd
    }

    func waitForTCP(port: Int) async throws {
        for _ in 0..<100 {
            if let fd = try? await dialDirect(port: port) {
                close(fd)
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw POSIXError(.ETIMEDOUT)
    }
}

private struct Server {
    let process: Process
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

private func withNamespace(_ body: (TestNamespace) async throws -> Void) async throws {
    let ns = TestNamespace(name: "hpp-\(getpid())-\(namespaceCounter.next())")
    try runTool("/usr/sbin/ip", ["netns", "add", ns.name])
    defer { try? runTool("/usr/sbin/ip", ["netns", "delete", ns.name]) }
    try ns.ip(["link", "set", "lo", "up"])
    try await body(ns)
}

private func runTool(_ path: String, _ args: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = args
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw POSIXError(.EIO, userInfo: [NSLocalizedDescriptionKey: "\(path) \(args) failed"])
    }
}

/// The real interpreter (pyenv's shim is a shell script that would be the pid we kill).
private func pythonPath() -> String {
    for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"] where FileManager.default.isExecutableFile(atPath: candidate) {
        return candidate
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "python3 -c 'import sys; print(sys.executable)'"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try? process.run()
    process.waitUntilExit()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return out.trimmingCharacters(in: .whitespacesAndNewlines)
}

private let pythonServer = """
import socket, sys, threading
mode, port = sys.argv[1], int(sys.argv[2])
if mode == 'udpecho':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', port))
    while True:
        d, a = s.recvfrom(65535)
        s.sendto(b'echo:' + d, a)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port))
s.listen(256)
def serve(c):
    if mode == 'reset':
        c.recv(65536)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00')
        c.close()
        return
    n = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        n += len(d)
        if mode == 'echo':
            try:
                c.sendall(d)
            except OSError:
                break
    try:
        if mode == 'halfclose':
            c.sendall(b'got %d\\n' % n + b'x' * (1 << 20))
    except OSError:
        pass  # the readiness probe closes at once
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""

private struct TestDir: Sendable {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("hpp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

// MARK: - blocking client sockets, run off the cooperative pool

/// Runs blocking socket code on a thread of its own, not on Swift concurrency's few threads.
private func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result(catching: { try body() })) }.start()
    }
}

private func tcpConnect(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var addr = loopback(port: port)
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else {
        let err = errno
        close(fd)
        throw POSIXError(POSIXErrorCode(rawValue: err) ?? .EIO)
    }
    return fd
}

private func loopback(port: Int) -> sockaddr_in {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    return addr
}

private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        offset += n
    }
}

/// Reads until EOF (errno 0) or an error (its errno; EAGAIN = the receive timeout).
private func readAll(_ fd: Int32, timeoutSeconds: Int = 10) -> (bytes: [UInt8], errno: Int32) {
    var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 256 * 1024)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { return (result, 0) }
        if n < 0 {
            if errno == EINTR { continue }
            return (result, errno)
        }
        result.append(contentsOf: buffer[0..<n])
    }
}

private func readSome(_ fd: Int32) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: 65536)
    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    return n > 0 ? Array(buffer[0..<n]) : []
}

private struct HTTPReply {
    var status: String
    var body: [UInt8]
}

private func fetchHTTP(port: Int, path: String) throws -> HTTPReply {
    try fetchHTTP(fd: try tcpConnect(port: port), path: path)
}

/// HTTP/1.0 GET on a connected blocking socket (closed here); the body is what follows the headers.
private func fetchHTTP(fd: Int32, path: String) throws -> HTTPReply {
    defer { close(fd) }
    try sendAll(fd, Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8))
    let (bytes, err) = readAll(fd)
    guard err == 0 else { throw POSIXError(POSIXErrorCode(rawValue: err) ?? .EIO) }
    let separator: [UInt8] = [13, 10, 13, 10]
    guard let end = (0...(max(0, bytes.count - 4))).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
        throw POSIXError(.EBADMSG)
    }
    let head = String(decoding: bytes[0..<end], as: UTF8.self)
    return HTTPReply(status: head.components(separatedBy: "\r\n").first ?? "", body: Array(bytes[(end + 4)...]))
}

private func udpSocket() throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EIO) }
    return fd
}

private func udpSend(_ fd: Int32, port: Int, _ text: String) throws {
    var addr = loopback(port: port)
    let bytes = Array(text.utf8)
    let n = withUnsafePointer(to: &addr) { a in
        a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
            bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
    guard n == bytes.count else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
}

private func udpReceive(_ fd: Int32, timeoutMs: Int) -> String? {
    var timeout = timeval(tv_sec: timeoutMs / 1000, tv_usec: Int((timeoutMs % 1000) * 1000))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var buffer = [UInt8](repeating: 0, count: 65536)
    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
}
