import Foundation
import HTTPTypes
import HullAPI
import HullEngine
import HullRuntime
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// hulld's HTTP+JSON API on a unix socket (docs/api.md, docs/openapi.yaml).
struct APIServer {
    /// Request bodies above this are refused with 413.
    static let maxBody = 1 << 20

    let manager: ContainerManager
    let images: ImageService
    let logger: Logger

    func router() -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: RouteGuard(routes: APIRouteTable.all))
        let api = DocumentedRouter(router: router)
        api.get("/v1/version") { _, _ in
            APIResponse.json(VersionInfo(version: HullAPIVersion.daemon, apiVersion: HullAPIVersion.api))
        }
        api.get("/v1/containers") { request, _ in
            await APIResponse.handle {
                let all = try Query.bool(request, "all") ?? false
                let isolation = try request.uri.queryParameters.get("isolation").map { text in
                    do { return try IsolationMode.parse(text, source: "isolation") } catch { throw EngineError.invalid("\(error)") }
                }
                return APIResponse.json(try manager.list(all: all, isolation: isolation).map(ContainerInfo.init))
            }
        }
        api.post("/v1/containers") { request, _ in
            await APIResponse.handle {
                let body = try await Body.decode(CreateContainerRequest.self, from: request)
                let record = try manager.create(body.spec)
                return APIResponse.json(CreatedContainer(id: record.id, name: record.name), status: .created)
            }
        }
        api.get("/v1/containers/:id") { request, context in
            await APIResponse.handle {
                APIResponse.json(ContainerInfo(try manager.record(try Path.id(context))))
            }
        }
        api.delete("/v1/containers/:id") { request, context in
            await APIResponse.handle {
                try await manager.remove(try Path.id(context), force: try Query.bool(request, "force") ?? false)
                return APIResponse.noContent
            }
        }
        api.post("/v1/containers/:id/start") { _, context in
            await APIResponse.handle {
                try await manager.start(try Path.id(context))
                return APIResponse.noContent
            }
        }
        api.post("/v1/containers/:id/stop") { request, context in
            await APIResponse.handle {
                try await manager.stop(try Path.id(context), timeout: try Query.seconds(request, "timeout"))
                return APIResponse.noContent
            }
        }
        api.post("/v1/containers/:id/restart") { request, context in
            await APIResponse.handle {
                try await manager.restart(try Path.id(context), timeout: try Query.seconds(request, "timeout"))
                return APIResponse.noContent
            }
        }
        api.post("/v1/containers/:id/kill") { request, context in
            await APIResponse.handle {
                let signal = try SignalName.parse(request.uri.queryParameters["signal"].map(String.init) ?? "KILL")
                try await manager.kill(try Path.id(context), signal: signal)
                return APIResponse.noContent
            }
        }
        api.post("/v1/containers/:id/wait") { _, context in
            await APIResponse.handle {
                APIResponse.json(try await manager.wait(try Path.id(context)))
            }
        }
        api.post("/v1/containers/:id/resize") { request, context in
            await APIResponse.handle {
                let size = try await Body.decode(ResizeBody.self, from: request)
                try await manager.resize(try Path.id(context), rows: size.rows, columns: size.columns)
                return APIResponse.noContent
            }
        }
        api.get("/v1/containers/:id/logs") { request, context in
            await APIResponse.handle {
                var query = LogQuery()
                query.follow = try Query.bool(request, "follow") ?? false
                query.timestamps = try Query.bool(request, "timestamps") ?? false
                query.stdout = try Query.bool(request, "stdout") ?? true
                query.stderr = try Query.bool(request, "stderr") ?? true
                query.tail = try Query.tail(request)
                let id = try manager.record(try Path.id(context)).id
                let frames = try manager.logStream(id, query: query)
                // A follower of a foreground container holds it: its disconnect ends it.
                guard query.follow, let lease = manager.followLease(id) else { return APIResponse.stream(frames) }
                context.channel.closeFuture.whenComplete { _ in lease.end(disconnected: true) }
                return APIResponse.stream(frames, onEnd: { lease.end(disconnected: false) })
            }
        }
        api.post("/v1/containers/:id/stdin") { request, context in
            await APIResponse.handle {
                try await manager.sendStdin(try Path.id(context), request.body.map { Array($0.readableBytesView) })
                return APIResponse.noContent
            }
        }

        api.get("/v1/containers/:id/top") { _, context in
            await APIResponse.handle { APIResponse.json(try await manager.top(try Path.id(context))) }
        }
        api.get("/v1/containers/:id/stats") { _, context in
            await APIResponse.handle { APIResponse.json(try await manager.stats(try Path.id(context))) }
        }
        api.get("/v1/containers/:id/archive") { request, context in
            await APIResponse.handle {
                let bytes = try await manager.archive(try Path.id(context), path: try Query.required(request, "path"))
                return Response(status: .ok, headers: [.contentType: "application/x-tar"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
            }
        }
        api.put("/v1/containers/:id/archive") { request, context in
            await APIResponse.handle {
                var request = request
                let path = try Query.required(request, "path")
                let buffer: ByteBuffer
                do {
                    buffer = try await request.collectBody(upTo: ContainerManager.archiveLimit)
                } catch {
                    throw EngineError.tooLarge("archives are limited to \(ContainerManager.archiveLimit >> 20) MiB")
                }
                try await manager.extract(try Path.id(context), path: path, tar: Array(buffer.readableBytesView))
                return APIResponse.noContent
            }
        }
        ExecRoutes(manager: manager).add(to: api)
        VolumeRoutes(manager: manager).add(to: api)
        ImageRoutes(manager: manager, images: images).add(to: api)
        return router
    }
}

enum Path {
    static func id(_ context: APIContext) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty else { throw EngineError.invalid("missing container id") }
        return id
    }

    static func name(_ context: APIContext) throws -> String {
        guard let name = context.parameters.get("name"), !name.isEmpty else { throw EngineError.invalid("missing name") }
        return name
    }
}

enum Query {
    static func bool(_ request: Request, _ name: String) throws -> Bool? {
        guard let value = request.uri.queryParameters[Substring(name)] else { return nil }
        // Exactly the document's boolean: what else a client sends is a mistake to report.
        switch value {
        case "true": return true
        case "false": return false
        default: throw EngineError.invalid("\(name) must be true or false, not \"\(value)\"")
        }
    }

    /// `tail`: "all" (or absent) for every line, else a count of lines (digits; a count
    /// beyond Int.max is every line too).
    static func tail(_ request: Request) throws -> Int? {
        guard let value = request.uri.queryParameters["tail"], value != "all" else { return nil }
        guard !value.isEmpty, value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw EngineError.invalid("tail must be a number of lines or \"all\", not \"\(value)\"")
        }
        return Int(value) ?? Int.max
    }

    static func required(_ request: Request, _ name: String) throws -> String {
        guard let value = request.uri.queryParameters[Substring(name)], !value.isEmpty else {
            throw EngineError.invalid("the query parameter \(name) is required")
        }
        return String(value)
    }

    /// Seconds in 0...limit (a stop's grace: InputLimits.maxStopSeconds).
    static func seconds(_ request: Request, _ name: String, limit: Double = InputLimits.maxStopSeconds) throws -> Double? {
        guard let value = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let n = Double(value) else {
            throw EngineError.invalid("\(name) must be a number of seconds, not \(value)")
        }
        do {
            try InputCheck.seconds(n, field: name, limit: limit)
        } catch {
            throw EngineError.invalid(error.description)
        }
        return n
    }
}

enum Body {
    /// nil for an empty body (an optional one, as `POST /v1/volumes` takes).
    static func decodeOptional<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T? {
        let data = try await collect(request)
        return data.isEmpty ? nil : try decode(type, from: data)
    }

    /// The whole body, at most `APIServer.maxBody` bytes (413 beyond).
    static func collect(_ request: Request) async throws -> Data {
        var request = request
        do {
            return Data(try await request.collectBody(upTo: APIServer.maxBody).readableBytesView)
        } catch {
            throw EngineError.tooLarge("the request body is over \(APIServer.maxBody) bytes")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw EngineError.invalid("bad request body: \"\(key.stringValue)\" is missing")
        } catch let DecodingError.typeMismatch(type, context) {
            throw EngineError.invalid("bad request body: \(context.codingPath.map(\.stringValue).joined(separator: ".")) must be \(type)")
        } catch {
            throw EngineError.invalid("bad request body: not valid JSON for this call (\(error))")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        try decode(type, from: try await collect(request))
    }
}

enum APIResponse {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static var noContent: Response { Response(status: .noContent) }

    static func error(_ error: EngineError) -> Response {
        json(APIErrorBody(message: error.description), status: HTTPResponse.Status(code: error.httpStatus))
    }

    /// Runs a handler; every error becomes a JSON error answer, never a crash.
    static func handle(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as EngineError {
            return APIResponse.error(error)
        } catch {
            return APIResponse.error(.failed("\(error)"))
        }
    }

    static let streamContentType = "application/vnd.hull.raw-stream"

    /// Streams frames; `onEnd` runs once they are all written (not when the client went away).
    static func stream(_ frames: AsyncStream<OutputFrame>, onEnd: @escaping @Sendable () -> Void = {}) -> Response {
        Response(status: .ok, headers: [.contentType: streamContentType],
                 body: ResponseBody { writer in
                     for await frame in frames {
                         try await writer.write(ByteBuffer(bytes: frame.encoded()))
                     }
                     onEnd()
                     try await writer.finish(nil)
                 })
    }
}

