import AsyncHTTPClient
import Foundation
import HullAPI
import NIOCore
import NIOHTTP1

/// hulld's API over its unix socket. Every non-2xx answer becomes a `DaemonClientError`
/// carrying hulld's message.
public struct DaemonClient: Sendable {
    public let socketPath: String
    /// Calls that return at once; streams and waits have no deadline.
    public static let callTimeout = TimeAmount.seconds(300)
    public static let forever = TimeAmount.hours(24 * 365)

    public init(socketPath: String = DaemonSocket.path) {
        self.socketPath = socketPath
    }

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()

    func url(_ path: String) throws -> String {
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: path) else {
            throw DaemonClientError(status: nil, message: "bad hulld socket path \(socketPath)")
        }
        return url.absoluteString
    }

    /// Sends one call and returns the answer's body (bounded to 64 MiB).
    public func call(_ method: HTTPMethod, _ path: String, json body: (some Encodable)? = Optional<Int>.none,
                     timeout: TimeAmount = DaemonClient.callTimeout) async throws -> Data {
        var request = HTTPClientRequest(url: try url(path))
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response = try await execute(request, timeout: timeout)
        let data = try await response.body.collect(upTo: 512 << 20)
        try Self.check(response.status, Data(data.readableBytesView))
        return Data(data.readableBytesView)
    }

    public func call<T: Decodable>(_ method: HTTPMethod, _ path: String, json body: (some Encodable)? = Optional<Int>.none,
                                   expecting: T.Type, timeout: TimeAmount = DaemonClient.callTimeout) async throws -> T {
        let data = try await call(method, path, json: body, timeout: timeout)
        do {
            return try Self.decoder.decode(T.self, from: data)
        } catch {
            throw DaemonClientError(status: nil, message: "hulld answered \(path) with something unexpected: \(error)")
        }
    }

    /// Sends raw bytes (a tar archive) as the body.
    public func call(_ method: HTTPMethod, _ path: String, body: Data, contentType: String = "application/x-tar") async throws -> Data {
        var request = HTTPClientRequest(url: try url(path))
        request.method = method
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await execute(request, timeout: Self.callTimeout)
        let data = try await response.body.collect(upTo: 64 << 20)
        try Self.check(response.status, Data(data.readableBytesView))
        return Data(data.readableBytesView)
    }

    /// A streaming GET of process output (logs, attach, exec output), as frames.
    public func output(_ path: String) async throws -> AsyncThrowingStream<OutputFrame, any Error> {
        let response = try await openStream(.GET, path)
        return AsyncThrowingStream { continuation in
            let task = Task {
                var decoder = OutputFrameDecoder()
                do {
                    for try await buffer in response.body {
                        decoder.append(buffer.readableBytesView)
                        while let frame = try decoder.next() { continuation.yield(frame) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Streams everything read from `fd` until EOF as the body of a POST (a process's
    /// stdin, an image archive) and returns the answer's body.
    @discardableResult
    public func upload(_ path: String, from fd: Int32, contentType: String? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: try url(path))
        request.method = .POST
        let chunks = AsyncStream<ByteBuffer> { continuation in
            let thread = Thread {
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                while true {
                    let n = read(fd, &buffer, buffer.count)
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { break }
                    continuation.yield(ByteBuffer(bytes: buffer[0..<n]))
                }
                continuation.finish()
            }
            thread.start()
        }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        request.body = .stream(chunks, length: .unknown)
        let response = try await execute(request, timeout: Self.forever)
        let data = try await response.body.collect(upTo: 1 << 20)
        try Self.check(response.status, Data(data.readableBytesView))
        return Data(data.readableBytesView)
    }

    /// A POST answered with a stream of progress lines (pull, push), one JSON object per
    /// line; `headers` go with the request (X-Registry-Auth).
    public func progress(_ path: String, headers: [(String, String)] = []) async throws -> AsyncThrowingStream<ProgressMessage, any Error> {
        let response = try await openStream(.POST, path, headers: headers)
        return AsyncThrowingStream { continuation in
            let task = Task {
                var pending = Data()
                do {
                    for try await buffer in response.body {
                        pending.append(contentsOf: buffer.readableBytesView)
                        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                            let line = pending[pending.startIndex..<newline]
                            pending = Data(pending[pending.index(after: newline)...])
                            guard !line.isEmpty else { continue }
                            continuation.yield(try Self.decoder.decode(ProgressMessage.self, from: Data(line)))
                        }
                        guard pending.count <= ProgressMessage.lineLimit else {
                            throw DaemonClientError(status: nil, message: "hulld sent a progress line over \(ProgressMessage.lineLimit) bytes")
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// A call whose answer streams: an error answer becomes a DaemonClientError here.
    private func openStream(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: try url(path))
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await execute(request, timeout: Self.forever)
        if response.status.code >= 300 {
            let data = try await response.body.collect(upTo: 1 << 20)
            try Self.check(response.status, Data(data.readableBytesView))
        }
        return response
    }

    private func execute(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> HTTPClientResponse {
        do {
            return try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch let error as HTTPClientError where error == .connectTimeout || error == .remoteConnectionClosed {
            throw DaemonClientError.unreachable(socketPath, "\(error)")
        } catch let error as DaemonClientError {
            throw error
        } catch {
            if !FileManager.default.fileExists(atPath: socketPath) || "\(error)".contains("connect") {
                throw DaemonClientError.unreachable(socketPath, "\(error)")
            }
            throw error
        }
    }

    static func check(_ status: HTTPResponseStatus, _ body: Data) throws {
        guard status.code >= 300 else { return }
        let message = (try? JSONDecoder().decode(APIErrorBody.self, from: body).message)
            ?? "hulld answered \(status.code) \(status.reasonPhrase)"
        throw DaemonClientError(status: Int(status.code), message: message)
    }
}

public struct DaemonClientError: Error, CustomStringConvertible, Sendable {
    public var status: Int?
    public var message: String
    public var description: String { message }

    public init(status: Int?, message: String) {
        self.status = status
        self.message = message
    }

    public var isNotFound: Bool { status == 404 }

    static func unreachable(_ socket: String, _ detail: String) -> DaemonClientError {
        DaemonClientError(status: nil, message: "cannot reach hulld at \(socket) (\(detail)): start it with `hulld &`, or let hull start it (unset HULL_NO_AUTOSTART)")
    }
}
