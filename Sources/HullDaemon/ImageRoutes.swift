import Foundation
import HTTPTypes
import HullAPI
import HullEngine
import HullImages
import HullRegistry
import Hummingbird
import NIOCore

/// `/v1/images…`: hulld owns the image store; `hull image …`, `hull pull` and `hull push`
/// are its clients. Names travel in the query (`?name=localhost:5000/app:v1`): they hold
/// slashes and colons.
struct ImageRoutes {
    let manager: ContainerManager
    let images: ImageService

    func add(to api: DocumentedRouter) {
        api.get("/v1/images") { _, _ in
            await APIResponse.handle { APIResponse.json(try images.list()) }
        }
        api.get("/v1/images/inspect") { request, _ in
            await APIResponse.handle {
                let what = request.uri.queryParameters["what"] ?? "config"
                guard what == "config" || what == "manifest" else {
                    throw EngineError.invalid("what must be config or manifest, not \"\(what)\"")
                }
                let data = try images.inspect(try Query.required(request, "name"), manifest: what == "manifest")
                return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
            }
        }
        api.post("/v1/images/pull") { request, _ in
            await APIResponse.handle {
                let name = try Query.required(request, "name")
                let reference: ImageReference
                let platform: PlatformChoice
                do {
                    reference = try ImageReference.pullable(name)
                    platform = try request.uri.queryParameters["platform"].map { try PlatformChoice(parsing: String($0)) } ?? .host
                } catch let error as ImageError {
                    throw ImageService.engineError(error)
                }
                let stream = images.pull(reference, platform: platform, insecure: Self.insecure(request), credentials: try Self.credentials(request))
                return Self.progress(stream)
            }
        }
        api.post("/v1/images/push") { request, _ in
            await APIResponse.handle {
                let chunk = try request.uri.queryParameters["chunkSize"].map { text -> Int in
                    guard let n = Int(text), n >= 64 << 10, n <= 1 << 30 else {
                        throw EngineError.invalid("chunkSize must be a number of bytes from 65536 to 1073741824, not \(text)")
                    }
                    return n
                } ?? Pusher.defaultChunkSize
                let stream = try images.push(try Query.required(request, "name"), chunkSize: chunk,
                                             insecure: Self.insecure(request), credentials: try Self.credentials(request))
                return Self.progress(stream)
            }
        }
        api.post("/v1/images/load") { request, _ in
            await APIResponse.handle {
                let name = request.uri.queryParameters["name"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
                let loaded = try await images.load(name: name) { file in
                    try await Self.save(request.body, to: file, limit: ImageService.loadLimit)
                }
                return APIResponse.json(loaded)
            }
        }
        api.post("/v1/images/tag") { request, _ in
            await APIResponse.handle {
                try images.tag(try Query.required(request, "source"), as: try Query.required(request, "target"))
                return APIResponse.noContent
            }
        }
        api.post("/v1/images/remove") { request, _ in
            await APIResponse.handle {
                let removal = try images.remove(try Query.required(request, "name"), force: try Query.bool(request, "force") ?? false,
                                                users: manager.imageUsers())
                return APIResponse.json(removal)
            }
        }
        api.post("/v1/images/prune") { _, _ in
            await APIResponse.handle { APIResponse.json(try images.prune()) }
        }
    }

    /// `insecure=HOST:PORT,…`: registries this call may reach over plain HTTP or
    /// unverified TLS (the client's `--insecure-registry`).
    static func insecure(_ request: Request) -> [String] {
        (request.uri.queryParameters["insecure"].map(String.init) ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// X-Registry-Auth, for this call only.
    static func credentials(_ request: Request) throws -> RegistryCredentials? {
        guard let field = HTTPField.Name(RegistryAuthHeader.name), let value = request.headers[field] else { return nil }
        do {
            return try RegistryAuthHeader(encoded: value).map { RegistryCredentials(username: $0.username, password: $0.password) }
        } catch {
            throw EngineError.invalid("\(error)")
        }
    }

    static let ndjson = "application/x-ndjson"

    /// One JSON object per line; the last says `result` or `error`.
    static func progress(_ stream: AsyncStream<ProgressMessage>) -> Response {
        Response(status: .ok, headers: [.contentType: ndjson],
                 body: ResponseBody { writer in
                     let encoder = JSONEncoder()
                     encoder.outputFormatting = [.sortedKeys]
                     for await message in stream {
                         var line = (try? encoder.encode(message)) ?? Data("{}".utf8)
                         line.append(UInt8(ascii: "\n"))
                         try await writer.write(ByteBuffer(bytes: line))
                     }
                     try await writer.finish(nil)
                 })
    }

    /// Writes a request body to `file`, refusing more than `limit` bytes (413).
    static func save(_ body: RequestBody, to file: URL, limit: Int64) async throws {
        guard FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: file.path) else {
            throw EngineError.failed("cannot write \(file.path)")
        }
        defer { try? handle.close() }
        var written: Int64 = 0
        for try await buffer in body {
            written += Int64(buffer.readableBytes)
            guard written <= limit else { throw EngineError.tooLarge("image archives are limited to \(limit >> 30) GiB") }
            try handle.write(contentsOf: buffer.readableBytesView)
        }
        guard written > 0 else { throw EngineError.invalid("the body is empty: send a docker save or OCI layout tar") }
    }
}
