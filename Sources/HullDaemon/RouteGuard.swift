import HTTPTypes
import HullAPI
import HullEngine
import Hummingbird

/// Answers what no route does, the way the document says: a documented path asked with a
/// method it does not have gets 405 with `Allow`; a path the API does not have gets a
/// JSON 404. Installed before every route, so it also sees methods no handler knows.
struct RouteGuard: RouterMiddleware {
    typealias Context = APIContext

    /// Path templates ("/v1/containers/{id}/start") and the methods each has.
    let methods: [[String]: Set<String>]

    init(routes: Set<String>) {
        var methods: [[String]: Set<String>] = [:]
        for route in routes {
            let parts = route.split(separator: " ", maxSplits: 1)
            methods[Self.segments(String(parts[1])), default: []].insert(String(parts[0]))
        }
        self.methods = methods
    }

    /// The segments as the router's trie sees them (empty ones dropped).
    static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// The documented methods of the template `path` matches, or nil when none does.
    /// A literal segment wins over `{id}`, as in the router.
    func allowed(for path: String) -> Set<String>? {
        let given = Self.segments(path)
        var best: (literals: Int, methods: Set<String>)?
        for (template, methods) in self.methods where template.count == given.count {
            var literals = 0
            var matches = true
            for (t, g) in zip(template, given) {
                if t.hasPrefix("{") { continue }
                guard t == g else { matches = false; break }
                literals += 1
            }
            if matches, best.map({ literals > $0.literals }) ?? true { best = (literals, methods) }
        }
        return best?.methods
    }

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let allowed = allowed(for: request.uri.path) else {
            return APIResponse.error(.notFound("no such API path: \(request.uri.path) (docs/openapi.yaml lists them)"))
        }
        guard allowed.contains(request.method.rawValue) else {
            var response = APIResponse.json(
                APIErrorBody(message: "\(request.method.rawValue) is not allowed on \(request.uri.path); allowed: \(allowed.sorted().joined(separator: ", "))"),
                status: .methodNotAllowed)
            response.headers[.allow] = allowed.sorted().joined(separator: ", ")
            return response
        }
        return try await next(request, context)
    }
}
