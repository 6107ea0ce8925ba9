import AsyncHTTPClient
import Foundation
import HullImages
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// One registry, spoken to over the OCI distribution API (Docker Registry HTTP API v2).
/// `connect` finds out whether it speaks HTTPS (always tried first, verified against the
/// system roots plus `certs.d/REGISTRY/*.crt`) or, where allowed, plain HTTP, and which
/// authentication it wants; every request then carries the right credentials, fetching a
/// Bearer token per scope or sending Basic credentials when a 401 asks for them.
public final class RegistryClient: Sendable {
    /// As in image references: `docker.io`, `localhost:5000`.
    public let registry: String
    /// `https://registry-1.docker.io`, `http://127.0.0.1:5000`.
    let base: String
    let http: HTTPClient
    let options: RegistryOptions
    let auth: AuthSession

    /// Largest manifest or index accepted; larger ones are refused before being read in full.
    public static let manifestLimit = 4 << 20
    /// Largest config blob kept in memory.
    static let configLimit = BlobStore.documentLimit
    /// Largest error body, token answer or probe answer read.
    static let smallLimit = 1 << 20
    static let requestTimeout = TimeAmount.seconds(60)
    /// A blob may take long; a stalled one is caught by the read timeout.
    static let transferTimeout = TimeAmount.hours(6)

    private init(registry: String, base: String, http: HTTPClient, options: RegistryOptions, challenge: AuthChallenge?,
                 credentials: RegistryCredentials?) {
        self.registry = registry
        self.base = base
        self.http = http
        self.options = options
        self.auth = AuthSession(registry: registry, challenge: challenge,
                                credentials: credentials ?? options.suppliedCredentials[registry]
                                    ?? (try? options.credentials.credentials(for: registry)) ?? nil)
    }

    /// Connects, runs `body`, and always shuts the HTTP client down. `credentials` replace
    /// the stored ones (`hull login` checks new ones before saving them).
    public static func with<T>(registry: String, options: RegistryOptions, credentials: RegistryCredentials? = nil,
                               _ body: (RegistryClient) async throws -> T) async throws -> T {
        let client = try await connect(registry: registry, options: options, credentials: credentials)
        do {
            let result = try await body(client)
            try? await client.http.shutdown()
            return result
        } catch {
            try? await client.http.shutdown()
            throw error
        }
    }

    /// Docker Hub's API lives at registry-1.docker.io.
    static func apiHost(_ registry: String) -> String {
        registry == ImageReference.defaultDomain ? "registry-1.docker.io" : registry
    }

    static func connect(registry: String, options: RegistryOptions, credentials: RegistryCredentials?) async throws -> RegistryClient {
        let host = apiHost(registry)
        let verified = makeHTTP(verify: true, caFiles: options.caFiles(for: registry))
        // Where plain HTTP is allowed (loopback, --insecure-registry) it is tried first: a
        // failed TLS handshake with a plain HTTP server is retried by the connection pool
        // until the 10 s connect timeout (measured with docker-registry), while a plain
        // request to a TLS server is answered 400 at once, and then HTTPS is tried.
        if options.allowsPlainHTTP(registry) {
            do {
                let challenge = try await probe(verified, "http://\(host)", registry: registry)
                options.logger.info("\(registry): using plain HTTP (loopback or --insecure-registry)")
                return RegistryClient(registry: registry, base: "http://\(host)", http: verified, options: options, challenge: challenge, credentials: credentials)
            } catch {
                options.logger.debug("http://\(host)/v2/: \(error); trying HTTPS")
            }
        }
        do {
            let challenge = try await probe(verified, "https://\(host)", registry: registry)
            return RegistryClient(registry: registry, base: "https://\(host)", http: verified, options: options, challenge: challenge, credentials: credentials)
        } catch let error as RegistryError {
            try? await verified.shutdown()
            throw error
        } catch {
            try? await verified.shutdown()
            options.logger.debug("https://\(host)/v2/: \(error)")
            guard isCertificateError(error) else { throw RegistryError.unreachable(registry: registry, detail: describe(error)) }
            guard options.insecure.contains(registry) else {
                throw RegistryError.untrustedCertificate(registry: registry, detail: describe(error), caPaths: options.caPathHints(for: registry))
            }
            // Docker's meaning of an insecure registry: TLS without verification.
            let lax = makeHTTP(verify: false, caFiles: [])
            do {
                let challenge = try await probe(lax, "https://\(host)", registry: registry)
                return RegistryClient(registry: registry, base: "https://\(host)", http: lax, options: options, challenge: challenge, credentials: credentials)
            } catch {
                try? await lax.shutdown()
                if let error = error as? RegistryError { throw error }
                throw RegistryError.unreachable(registry: registry, detail: describe(error))
            }
        }
    }

    static func makeHTTP(verify: Bool, caFiles: [String]) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.additionalTrustRoots = caFiles.map { .file($0) }
        if !verify { tls.certificateVerification = .none }
        let config = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .follow(max: 5, allowCycles: false),
            timeout: .init(connect: .seconds(10), read: .seconds(30)))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    /// `GET /v2/`: 200 (open) or 401 with the challenge to answer. Anything else is not a
    /// registry speaking the v2 API.
    private static func probe(_ http: HTTPClient, _ base: String, registry: String) async throws -> AuthChallenge? {
        let response = try await http.execute(HTTPClientRequest(url: base + "/v2/"), timeout: .seconds(30))
        _ = try? await response.body.collect(upTo: smallLimit)
        switch response.status.code {
        case 200:
            return nil
        case 401:
            let challenges = response.headers["WWW-Authenticate"].flatMap { AuthChallenge.parse($0) }
            return challenges.first { $0.scheme == "bearer" } ?? challenges.first { $0.scheme == "basic" }
        default:
            throw RegistryError.status(Int(response.status.code), registry: registry, repository: nil,
                                       what: "GET /v2/ (is this an OCI registry?)", detail: nil)
        }
    }

    static func isCertificateError(_ error: any Error) -> Bool {
        if error is NIOSSLExtraError { return true }
        let text = String(reflecting: error)
        return text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate") && !text.contains("WRONG_VERSION_NUMBER")
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connection timed out"
            case .readTimeout: return "no data for 30 s (read timeout)"
            case .remoteConnectionClosed: return "the connection was closed by the registry"
            default: return "\(error)"
            }
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text
    }

    // MARK: - Requests

    /// Which repository a request concerns and the token scopes it needs.
    public struct Access: Sendable {
        public var repository: String
        public var scopes: [String]

        public static func pull(_ repository: String) -> Access {
            Access(repository: repository, scopes: ["repository:\(repository):pull"])
        }

        /// Push also needs pull (HEAD on blobs); a mount needs pull on the source.
        public static func push(_ repository: String, mountFrom source: String? = nil) -> Access {
            var scopes = ["repository:\(repository):pull,push"]
            if let source { scopes.append("repository:\(source):pull") }
            return Access(repository: repository, scopes: scopes)
        }
    }

    /// Sends a request with authorization for `access`; a 401 is answered once (token or
    /// Basic credentials) and the request sent again, so bodies must be replayable.
    func send(_ method: HTTPMethod, _ url: String, access: Access, headers: [(String, String)] = [],
              body: ByteBuffer? = nil, timeout: TimeAmount = requestTimeout) async throws -> HTTPClientResponse {
        var answered = false
        while true {
            var request = HTTPClientRequest(url: url)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let authorization = try await auth.authorization(for: access, via: self) {
                request.headers.replaceOrAdd(name: "Authorization", value: authorization)
            }
            if let body {
                request.body = .bytes(body)
            } else if method == .PUT || method == .POST || method == .PATCH {
                request.headers.replaceOrAdd(name: "Content-Length", value: "0")
            }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: timeout)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw RegistryError.unreachable(registry: registry, detail: Self.describe(error))
            }
            if response.status == .unauthorized, !answered {
                answered = true
                let challenges = response.headers["WWW-Authenticate"].flatMap { AuthChallenge.parse($0) }
                if await auth.answer(challenges, access: access) {
                    _ = try? await response.body.collect(upTo: Self.smallLimit)
                    continue
                }
            }
            // A 401 that new authorization cannot help goes to the caller, who names what failed.
            return response
        }
    }

    func url(_ path: String) -> String { base + path }

    /// The registry's error JSON (`{"errors":[{"code","message"}]}`) as one line. Reads
    /// the body: call it only on a response whose body nothing else has read (a second
    /// reader is a fatal error in NIO).
    static func errorDetail(_ response: HTTPClientResponse) async -> String? {
        guard let body = try? await response.body.collect(upTo: 64 << 10), body.readableBytes > 0 else { return nil }
        struct Errors: Decodable {
            struct Entry: Decodable { var code: String?; var message: String? }
            var errors: [Entry]?
        }
        guard let parsed = try? JSONDecoder().decode(Errors.self, from: Data(body.readableBytesView)), let errors = parsed.errors, !errors.isEmpty else {
            return nil
        }
        return errors.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; ")
    }

    func failure(_ response: HTTPClientResponse, access: Access?, what: String) async -> RegistryError {
        .status(Int(response.status.code), registry: registry, repository: access?.repository, what: what,
                detail: await Self.errorDetail(response))
    }

    /// Reads a body of at most `limit` bytes; a Content-Length above it is refused unread.
    func collect(_ response: HTTPClientResponse, limit: Int, what: String) async throws -> Data {
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
            throw RegistryError.tooLarge(registry: registry, what: what, limit: limit)
        }
        do {
            let buffer = try await response.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw RegistryError.tooLarge(registry: registry, what: what, limit: limit)
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError.unreachable(registry: registry, detail: Self.describe(error))
        }
    }
}
