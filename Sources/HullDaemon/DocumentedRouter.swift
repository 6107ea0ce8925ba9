import HTTPTypes
import Hummingbird

/// Every route hulld serves, as docs/openapi.yaml names it. Registering a route that is
/// not here stops hulld at startup, and a test checks this list against the OpenAPI
/// document, so code and document cannot drift apart.
enum APIRouteTable {
    static let all: Set<String> = [
        "GET /v1/version",
        "GET /v1/containers", "POST /v1/containers",
        "GET /v1/containers/{id}", "DELETE /v1/containers/{id}",
        "POST /v1/containers/{id}/start", "POST /v1/containers/{id}/stop", "POST /v1/containers/{id}/restart",
        "POST /v1/containers/{id}/kill", "POST /v1/containers/{id}/wait", "POST /v1/containers/{id}/resize",
        "GET /v1/containers/{id}/logs", "POST /v1/containers/{id}/stdin",
        "GET /v1/containers/{id}/top", "GET /v1/containers/{id}/stats",
        "GET /v1/containers/{id}/archive", "PUT /v1/containers/{id}/archive",
        "POST /v1/containers/{id}/exec",
        "GET /v1/exec/{id}", "GET /v1/exec/{id}/output", "POST /v1/exec/{id}/stdin",
        "POST /v1/exec/{id}/resize", "POST /v1/exec/{id}/kill", "POST /v1/exec/{id}/wait",
        "GET /v1/volumes", "POST /v1/volumes", "POST /v1/volumes/prune",
        "GET /v1/volumes/{name}", "DELETE /v1/volumes/{name}",
        "GET /v1/system/df", "POST /v1/system/prune",
        "GET /v1/images", "GET /v1/images/inspect", "POST /v1/images/pull", "POST /v1/images/push",
        "POST /v1/images/load", "POST /v1/images/tag", "POST /v1/images/remove", "POST /v1/images/prune",
    ]
}

struct DocumentedRouter {
    let router: Router<APIContext>
    typealias Handler = @Sendable (Request, APIContext) async throws -> Response

    private func add(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        let documented = "\(method.rawValue) " + path.replacingOccurrences(of: ":id", with: "{id}")
            .replacingOccurrences(of: ":name", with: "{name}")
        precondition(APIRouteTable.all.contains(documented), "\(documented) is not in docs/openapi.yaml (APIRouteTable)")
        router.on(RouterPath(path), method: method, use: handler)
    }

    func get(_ path: String, _ handler: @escaping Handler) { add(.get, path, handler) }
    func post(_ path: String, _ handler: @escaping Handler) { add(.post, path, handler) }
    func put(_ path: String, _ handler: @escaping Handler) { add(.put, path, handler) }
    func delete(_ path: String, _ handler: @escaping Handler) { add(.delete, path, handler) }
}
