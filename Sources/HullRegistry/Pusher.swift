import Foundation
import HullImages
import Logging
import NIOCore

/// `hull push`: the image's config and layers, each skipped when the repository has it
/// (HEAD), mounted from the repository it was pulled from when that is on the same
/// registry, else uploaded — in one PUT up to `chunkSize` bytes, in PATCH chunks of
/// `chunkSize` above, a blob started again after a transient failure — and then the
/// manifest under the tag.
public struct Pusher: Sendable {
    public let store: ImageStore
    public let options: RegistryOptions
    public let progress: TransferProgress
    /// Blobs up to this size go in one request; larger ones in chunks of this size.
    public var chunkSize: Int

    public static let defaultChunkSize = 16 << 20

    public init(store: ImageStore, options: RegistryOptions, progress: TransferProgress, chunkSize: Int = Pusher.defaultChunkSize) {
        self.store = store
        self.options = options
        self.progress = progress
        self.chunkSize = max(1, chunkSize)
    }

    public struct Result: Sendable {
        public var reference: ImageReference
        public var digest: Digest
        public var size: Int64
        public var uploaded: Int
        public var mounted: Int
        public var existing: Int
    }

    /// Pushes the stored image named `name` (`localhost:5000/app:v1`) to where its name says.
    public func push(_ name: String) async throws -> Result {
        let reference = try ImageReference(parsing: name)
        guard reference.digest == nil else { throw ImageError.badReference(name, "push takes NAME[:TAG]; tag the image first (hull tag)") }
        let target = reference.withDefaultTag
        let image = try store.resolve(target.string)
        let manifestData = try store.blobs.read(image.manifestDigest, what: "manifest of \(target.familiar)")
        var mountFrom: String?
        if let source = try store.source(of: image), source.hasPrefix(target.domain + "/") {
            let repository = String(source.dropFirst(target.domain.count + 1))
            if repository != target.path { mountFrom = repository }
        }
        let access = RegistryClient.Access.push(target.path, mountFrom: mountFrom)
        return try await RegistryClient.with(registry: target.domain, options: options) { client in
            var result = Result(reference: target, digest: image.manifestDigest, size: 0, uploaded: 0, mounted: 0, existing: 0)
            for blob in image.manifest.layers + [image.manifest.config] {
                let id = blob.digest.short
                if try await client.blobExists(access, blob.digest) {
                    progress.set(id, "Layer already exists")
                    result.existing += 1
                    continue
                }
                // A dropped connection, 429 or 5xx starts the blob again in a new session.
                let mounted = try await client.retrying(access, what: "pushing blob \(id)") {
                    switch try await client.startUpload(access, mount: mountFrom.map { (blob.digest, $0) }) {
                    case .mounted:
                        return true
                    case .session(let session):
                        progress.set(id, "Pushing", total: blob.size)
                        try await upload(blob, session: session, client: client, access: access)
                        return false
                    }
                }
                progress.set(id, mounted ? "Mounted from \(mountFrom ?? "")" : "Pushed")
                if mounted { result.mounted += 1 } else { result.uploaded += 1 }
            }
            result.digest = try await client.putManifest(access, reference: target.tag ?? ImageReference.defaultTag,
                                                         data: manifestData, mediaType: MediaType.ociManifest)
            result.size = Int64(manifestData.count)
            return result
        }
    }

    private func upload(_ blob: OCIDescriptor, session: String, client: RegistryClient, access: RegistryClient.Access) async throws {
        let file = try FileHandle(forReadingFrom: store.blobs.path(blob.digest))
        defer { try? file.close() }
        if blob.size <= Int64(chunkSize) {
            let data = try file.read(upToCount: Int(blob.size)) ?? Data()
            try await client.finishUpload(access, session: session, digest: blob.digest, body: ByteBuffer(bytes: data))
            return
        }
        var location = session
        var offset: Int64 = 0
        while offset < blob.size {
            let data = try file.read(upToCount: chunkSize) ?? Data()
            guard !data.isEmpty else { throw ImageError.sizeMismatch("stored blob \(blob.digest)", expected: blob.size, actual: offset) }
            location = try await client.uploadChunk(access, session: location, offset: offset, body: ByteBuffer(bytes: data), digest: blob.digest)
            offset += Int64(data.count)
            progress.bytes(blob.digest.short, offset)
        }
        try await client.finishUpload(access, session: location, digest: blob.digest, body: nil)
    }
}
