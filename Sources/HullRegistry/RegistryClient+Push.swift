import AsyncHTTPClient
import Foundation
import HullImages
import NIOCore
import NIOHTTP1

extension RegistryClient {
    /// `HEAD /v2/NAME/blobs/DIGEST`: whether the repository has the blob already.
    public func blobExists(_ access: Access, _ digest: Digest) async throws -> Bool {
        let response = try await send(.HEAD, url("/v2/\(access.repository)/blobs/\(digest)"), access: access)
        switch response.status.code {
        case 200: return true
        case 404: return false
        default: throw await failure(response, access: access, what: "HEAD blob \(digest.short)")
        }
    }

    public enum UploadStart: Sendable, Equatable {
        /// The registry linked the blob from the other repository: nothing to upload.
        case mounted
        /// An upload session: PATCH/PUT to this URL.
        case session(String)
    }

    /// `POST /v2/NAME/blobs/uploads/`, with `?mount=DIGEST&from=SOURCE` when a repository
    /// of this registry is known to have the blob (201: mounted; 202: upload instead).
    public func startUpload(_ access: Access, mount: (digest: Digest, from: String)?) async throws -> UploadStart {
        var path = "/v2/\(access.repository)/blobs/uploads/"
        if let mount { path += "?mount=\(mount.digest)&from=\(mount.from)" }
        let response = try await send(.POST, url(path), access: access)
        switch response.status.code {
        case 201 where mount != nil:
            _ = try? await response.body.collect(upTo: Self.smallLimit)
            return .mounted
        case 202:
            _ = try? await response.body.collect(upTo: Self.smallLimit)
            return .session(try location(response, what: "upload start"))
        default:
            throw await failure(response, access: access, what: "starting a blob upload")
        }
    }

    /// Monolithic upload: `PUT LOCATION?digest=…` with the whole blob.
    public func finishUpload(_ access: Access, session: String, digest: Digest, body: ByteBuffer?) async throws {
        var headers: [(String, String)] = []
        if let body { headers = [("Content-Type", "application/octet-stream"), ("Content-Length", "\(body.readableBytes)")] }
        let response = try await send(.PUT, Self.appendQuery(session, "digest=\(digest)"), access: access, headers: headers,
                                      body: body, timeout: Self.transferTimeout)
        guard response.status == .created else { throw await failure(response, access: access, what: "uploading blob \(digest.short)") }
        _ = try? await response.body.collect(upTo: Self.smallLimit)
    }

    /// One chunk of a chunked upload: `PATCH LOCATION` with `Content-Range: FROM-TO`;
    /// returns the session URL for the next request.
    public func uploadChunk(_ access: Access, session: String, offset: Int64, body: ByteBuffer, digest: Digest) async throws -> String {
        let end = offset + Int64(body.readableBytes) - 1
        let response = try await send(.PATCH, session, access: access, headers: [
            ("Content-Type", "application/octet-stream"), ("Content-Range", "\(offset)-\(end)"),
            ("Content-Length", "\(body.readableBytes)"),
        ], body: body, timeout: Self.transferTimeout)
        guard response.status == .accepted else {
            throw await failure(response, access: access, what: "uploading bytes \(offset)-\(end) of blob \(digest.short)")
        }
        _ = try? await response.body.collect(upTo: Self.smallLimit)
        return try location(response, what: "chunk upload")
    }

    /// `PUT /v2/NAME/manifests/REFERENCE`; returns the digest the registry gives it.
    @discardableResult
    public func putManifest(_ access: Access, reference: String, data: Data, mediaType: String) async throws -> Digest {
        let response = try await send(.PUT, url("/v2/\(access.repository)/manifests/\(reference)"), access: access,
                                      headers: [("Content-Type", mediaType)], body: ByteBuffer(bytes: data))
        guard response.status == .created else {
            throw await failure(response, access: access, what: "putting manifest \(access.repository):\(reference)")
        }
        _ = try? await response.body.collect(upTo: Self.smallLimit)
        let local = Digest.sha256(data)
        if let announced = response.headers.first(name: "Docker-Content-Digest").flatMap({ try? Digest(parsing: $0) }), announced != local {
            throw RegistryError.digestMismatch(registry: registry, what: "pushed manifest", expected: local.string, actual: announced.string)
        }
        return local
    }

    /// The Location header, made absolute against the registry's base URL.
    private func location(_ response: HTTPClientResponse, what: String) throws -> String {
        guard let value = response.headers.first(name: "Location"), !value.isEmpty else {
            throw RegistryError.badAnswer(registry: registry, what: what, detail: "no Location header")
        }
        if value.hasPrefix("http://") || value.hasPrefix("https://") { return value }
        return base + (value.hasPrefix("/") ? value : "/" + value)
    }

    static func appendQuery(_ url: String, _ query: String) -> String {
        url + (url.contains("?") ? "&" : "?") + query
    }
}
