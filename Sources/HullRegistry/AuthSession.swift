import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The authentication state of one registry connection: the challenge the registry
/// answered `GET /v2/` (or a later 401) with, the user's credentials if any, and the
/// Bearer tokens fetched so far, one per set of scopes (token flow of the distribution
/// spec: `GET realm?service=…&scope=repository:NAME:pull`, Basic credentials when known).
actor AuthSession {
    let registry: String
    private var challenge: AuthChallenge?
    private let credentials: RegistryCredentials?
    private var tokens: [String: String] = [:]

    init(registry: String, challenge: AuthChallenge?, credentials: RegistryCredentials?) {
        self.registry = registry
        self.challenge = challenge
        self.credentials = credentials
    }

    var hasCredentials: Bool { credentials != nil }
    var currentChallenge: AuthChallenge? { challenge }

    /// The Authorization header for a request needing `access`; nil when the registry
    /// asked for none.
    func authorization(for access: RegistryClient.Access, via client: RegistryClient) async throws -> String? {
        guard let challenge else { return nil }
        switch challenge.scheme {
        case "basic":
            return credentials.map { "Basic \($0.encoded)" }
        case "bearer":
            let key = access.scopes.joined(separator: " ")
            if let token = tokens[key] { return "Bearer \(token)" }
            let token = try await fetchToken(challenge, scopes: access.scopes, repository: access.repository, via: client)
            tokens[key] = token
            return "Bearer \(token)"
        default:
            return nil
        }
    }

    /// Takes in the challenges of a 401; returns whether sending the request again can help.
    func answer(_ challenges: [AuthChallenge], access: RegistryClient.Access) -> Bool {
        guard let chosen = challenges.first(where: { $0.scheme == "bearer" }) ?? challenges.first(where: { $0.scheme == "basic" }) else {
            return false
        }
        let previous = challenge
        challenge = chosen
        if chosen.scheme == "basic" {
            // Credentials already sent and refused: asking again changes nothing.
            return credentials != nil && previous?.scheme != "basic"
        }
        let key = access.scopes.joined(separator: " ")
        let hadToken = tokens.removeValue(forKey: key) != nil
        return !hadToken || previous != chosen
    }

    /// `GET realm?service=…&scope=…` with Basic credentials when the user has some.
    func fetchToken(_ challenge: AuthChallenge, scopes: [String], repository: String?, via client: RegistryClient) async throws -> String {
        guard let realm = challenge.realm, var components = URLComponents(string: realm),
              let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http", components.host != nil else {
            throw RegistryError.badAnswer(registry: registry, what: "authentication challenge",
                                          detail: "Bearer realm \"\(challenge.realm ?? "")\" is not an http(s) URL")
        }
        var items = components.queryItems ?? []
        if let service = challenge.parameters["service"] { items.append(URLQueryItem(name: "service", value: service)) }
        if let credentials { items.append(URLQueryItem(name: "account", value: credentials.username)) }
        for scope in scopes { items.append(URLQueryItem(name: "scope", value: scope)) }
        components.queryItems = items
        guard let url = components.string else {
            throw RegistryError.badAnswer(registry: registry, what: "authentication challenge", detail: "cannot build the token URL")
        }
        var request = HTTPClientRequest(url: url)
        if let credentials { request.headers.add(name: "Authorization", value: "Basic \(credentials.encoded)") }
        let response: HTTPClientResponse
        do {
            response = try await client.http.execute(request, timeout: .seconds(30))
        } catch {
            throw RegistryError.unreachable(registry: registry, detail: "token server \(components.host ?? realm): \(RegistryClient.describe(error))")
        }
        let what = "token for \(scopes.isEmpty ? "login" : scopes.joined(separator: " "))"
        guard response.status == .ok else {
            throw await client.failure(response, access: repository.map { RegistryClient.Access(repository: $0, scopes: scopes) }, what: what)
        }
        let body = try await client.collect(response, limit: RegistryClient.smallLimit, what: what)
        struct TokenAnswer: Decodable { var token: String?; var access_token: String? }
        guard let answer = try? JSONDecoder().decode(TokenAnswer.self, from: body),
              let token = answer.token ?? answer.access_token, !token.isEmpty,
              token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw RegistryError.badAnswer(registry: registry, what: what, detail: "the token server's answer holds no token")
        }
        return token
    }
}

extension RegistryClient {
    /// Checks credentials the way `docker login` does: a token without scopes (Bearer) or
    /// `GET /v2/` (Basic) must be granted. An open registry accepts anything.
    public func checkLogin() async throws {
        guard let challenge = await auth.currentChallenge else { return }
        guard await auth.hasCredentials else { throw RegistryError.notAuthenticated(registry: registry) }
        do {
            if challenge.scheme == "bearer" {
                _ = try await auth.fetchToken(challenge, scopes: [], repository: nil, via: self)
            } else {
                let access = Access(repository: "", scopes: [])
                let response = try await send(.GET, url("/v2/"), access: access)
                guard response.status == .ok else { throw await failure(response, access: nil, what: "GET /v2/") }
                _ = try? await response.body.collect(upTo: Self.smallLimit)
            }
        } catch let error as RegistryError {
            if case .status(let code, _, _, _, let detail) = error, code == 401 || code == 403 {
                throw RegistryError.loginFailed(registry: registry, detail: detail ?? "credentials rejected (\(code))")
            }
            throw error
        }
    }
}
