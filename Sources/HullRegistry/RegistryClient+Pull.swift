import AsyncHTTPClient
import Foundation
import HullImages
import NIOCore
import NIOHTTP1

/// A manifest or index as the registry sent it.
public struct FetchedManifest: Sendable {
    public var data: Data
    /// From Content-Type, else the document's own mediaType field.
    public var mediaType: String
    /// sha256 of `data`, checked against the digest asked for or announced.
    public var digest: Digest
}

extension RegistryClient {
    /// Every manifest kind Hull reads; the registry picks among them.
    static let manifestAccept = [
        MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest,
    ].joined(separator: ", ")

    /// `GET /v2/NAME/manifests/REFERENCE` (a tag or a digest), at most `manifestLimit` bytes.
    public func manifest(_ access: Access, reference: String) async throws -> FetchedManifest {
        let what = "manifest \(access.repository):\(reference)".replacingOccurrences(of: ":sha256:", with: "@sha256:")
        let response = try await send(.GET, url("/v2/\(access.repository)/manifests/\(reference)"), access: access,
                                      headers: [("Accept", Self.manifestAccept)])
        guard response.status == .ok else { throw await failure(response, access: access, what: what) }
        let data = try await collect(response, limit: Self.manifestLimit, what: what)
        let digest = Digest.sha256(data)
        // Asked by digest: the content must hash to it. By tag: to what the registry announces.
        let expected = (try? Digest(parsing: reference)) ?? response.headers.first(name: "Docker-Content-Digest").flatMap { try? Digest(parsing: $0) }
        if let expected, expected != digest {
            throw RegistryError.digestMismatch(registry: registry, what: what, expected: expected.string, actual: digest.string)
        }
        var type = response.headers.first(name: "Content-Type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        if !MediaType.isIndex(type) && !MediaType.isManifest(type) && !MediaType.isSchema1(type) {
            struct Probe: Decodable { var mediaType: String?; var manifests: [OCIDescriptor]? }
            let probe = try? JSONDecoder().decode(Probe.self, from: data)
            type = probe?.mediaType ?? (probe?.manifests != nil ? MediaType.ociIndex : MediaType.ociManifest)
        }
        return FetchedManifest(data: data, mediaType: type, digest: digest)
    }

    /// A small blob (an image config) in memory, verified.
    /// Transient failures (see `RetryPolicy`) are retried.
    public func blob(_ access: Access, _ descriptor: OCIDescriptor, what: String) async throws -> Data {
        guard descriptor.size <= Int64(Self.configLimit) else {
            throw RegistryError.tooLarge(registry: registry, what: what, limit: Self.configLimit)
        }
        let data = try await retrying(access, what: what) {
            let response = try await send(.GET, url("/v2/\(access.repository)/blobs/\(descriptor.digest)"), access: access)
            guard response.status == .ok else { throw await failure(response, access: access, what: what) }
            return try await collect(response, limit: Int(descriptor.size), what: what)
        }
        let digest = Digest.sha256(data)
        guard digest == descriptor.digest else {
            throw RegistryError.digestMismatch(registry: registry, what: what, expected: descriptor.digest.string, actual: digest.string)
        }
        return data
    }

    /// Downloads a layer into `file`, hashing as it writes. A dropped connection, 429 or
    /// 5xx is retried (see `RetryPolicy`), resuming with `Range: bytes=N-` from the bytes
    /// already written; a registry that answers a range with the whole blob starts it over.
    /// The file is kept only when its content hashes to the descriptor's digest.
    public func download(_ access: Access, _ descriptor: OCIDescriptor, to file: URL, what: String,
                         progress: @Sendable (Int64) -> Void) async throws {
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw RegistryError.badAnswer(registry: registry, what: what, detail: "cannot create \(file.path)")
        }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        let state = DownloadState()
        try await retrying(access, what: what) {
            try await fetchRange(access, descriptor, handle: handle, state: state, what: what, progress: progress)
        }
        let digest = state.hasher.finalize()
        guard digest == descriptor.digest else {
            throw RegistryError.digestMismatch(registry: registry, what: what, expected: descriptor.digest.string, actual: digest.string)
        }
        try handle.synchronize()
    }

    /// Runs `body` until it succeeds, fails for good, or has failed transiently
    /// `options.retry.attempts` times.
    func retrying<T>(_ access: Access, what: String, _ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await body()
            } catch let error as RegistryError where error.isTransient && attempt < options.retry.attempts {
                options.logger.info("\(what): \(error); attempt \(attempt + 1) of \(options.retry.attempts)")
                try await Task.sleep(for: options.retry.delay(after: attempt))
            } catch let error as RegistryError where error.isTransient {
                throw RegistryError.gaveUp(registry: registry, repository: access.repository, what: what,
                                           attempts: attempt, last: Self.reason(error))
            }
        }
    }

    static func reason(_ error: RegistryError) -> String {
        switch error {
        case .unreachable(_, let detail): detail
        case .status(let code, _, _, _, let detail): "HTTP \(code)" + (detail.map { " (\($0))" } ?? "")
        default: error.description
        }
    }

    private func fetchRange(_ access: Access, _ descriptor: OCIDescriptor, handle: FileHandle, state: DownloadState,
                            what: String, progress: @Sendable (Int64) -> Void) async throws {
        var written = state.written
        defer { state.written = written }
        let headers = written > 0 ? [("Range", "bytes=\(written)-")] : []
        let response = try await send(.GET, url("/v2/\(access.repository)/blobs/\(descriptor.digest)"), access: access,
                                      headers: headers, timeout: Self.transferTimeout)
        switch response.status.code {
        case 206 where written > 0:
            let range = response.headers.first(name: "Content-Range") ?? ""
            guard range.hasPrefix("bytes \(written)-") else {
                throw RegistryError.badAnswer(registry: registry, what: what, detail: "asked for bytes \(written)- but got \"\(range)\"")
            }
        case 200:
            if written > 0 {
                // The registry ignored the range: start again from the first byte.
                try handle.truncate(atOffset: 0)
                try handle.seek(toOffset: 0)
                state.hasher = DigestHasher()
                written = 0
                progress(0)
            }
        default:
            throw await failure(response, access: access, what: what)
        }
        do {
            for try await chunk in response.body {
                guard written + Int64(chunk.readableBytes) <= descriptor.size else {
                    throw RegistryError.sizeMismatch(registry: registry, what: what, expected: descriptor.size,
                                                     actual: written + Int64(chunk.readableBytes))
                }
                try chunk.withUnsafeReadableBytes { bytes in
                    state.hasher.update(bytes)
                    try handle.write(contentsOf: bytes)
                }
                written += Int64(chunk.readableBytes)
                progress(written)
            }
        } catch let error as RegistryError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw RegistryError.unreachable(registry: registry, detail: "transfer interrupted after \(written) bytes: \(Self.describe(error))")
        }
        guard written == descriptor.size else {
            throw RegistryError.unreachable(registry: registry, detail: "transfer stopped after \(written) of \(descriptor.size) bytes")
        }
    }
}

/// What a download has so far, kept across its attempts: the bytes written and their hash.
private final class DownloadState {
    var hasher = DigestHasher()
    var written: Int64 = 0
}
