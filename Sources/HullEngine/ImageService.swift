import Foundation
import HullModel
import HullImages
import HullRegistry
import HullRuntime
import Logging

/// hulld's image store: list, inspect, pull, push, load, tag, remove and collect garbage
/// (`/v1/images…`). The store itself (HullImages) locks every change against other
/// processes; this adds one download per image at a time and the container check on
/// removal.
package final class ImageService: Sendable {
    let paths: HullPaths
    let logger: Logger
    let transfers = TransferCoalescer()
    /// `hulld --insecure-registry` (and HULL_INSECURE_REGISTRIES in hulld's environment).
    let insecureRegistries: [String]

    /// Largest archive `POST /v1/images/load` accepts.
    package static let loadLimit: Int64 = 32 << 30

    package init(paths: HullPaths, logger: Logger, insecureRegistries: [String] = []) {
        self.paths = paths
        self.logger = logger
        self.insecureRegistries = insecureRegistries
    }

    var store: ImageStore { ImageStore(home: paths.home, logger: logger) }

    package func list() throws -> [ImageInfo] {
        try Self.mapped {
            try store.list().map { image in
                ImageInfo(reference: image.name?.string, repository: image.name?.familiarName, tag: image.name?.tag,
                          digest: image.manifestDigest.string, size: image.size, createdAt: image.created, builtin: image.builtin)
            }
        }
    }

    /// The config (or manifest) of an image, as stored.
    package func inspect(_ name: String, manifest: Bool) throws -> Data {
        try Self.lookup(name) {
            let store = self.store
            let image = try store.resolve(name)
            return try store.blobs.read(manifest ? image.manifestDigest : image.configDigest, what: manifest ? "manifest" : "config")
        }
    }

    /// The manifest digest `name` resolves to now, or nil when there is no such image.
    func digest(of name: String) -> Digest? {
        try? store.resolve(name).manifestDigest
    }

    package func tag(_ source: String, as target: String) throws {
        try Self.mapped { _ = try ImageReference(parsing: target) }
        try Self.lookup(source) { try store.tag(source, as: target) }
        logger.info("tagged", metadata: ["image": "\(source)", "as": "\(target)"])
    }

    /// Untags `name` (every tag, for a digest); deletes the image when no tag is left,
    /// unless a container uses it (`users`: manifest digest → container names) and
    /// `force` is false.
    package func remove(_ name: String, force: Bool, users: [Digest: [String]]) throws -> ImageRemoval {
        let events = try Self.lookup(name) { try store.remove(name, force: force, usedBy: users) }
        logger.info("removed", metadata: ["image": "\(name)", "events": "\(events.count)"])
        return ImageRemoval(events: events.map(\.description))
    }

    package func prune() throws -> ImagePruneResult {
        let report = try Self.mapped { try store.garbageCollect() }
        return ImagePruneResult(removedBlobs: report.removedBlobs.count, removedDisks: report.removedDisks.count,
                                reclaimedBytes: report.freedBytes)
    }

    /// Loads the archive `write` puts into the file it is given (the request's body).
    package func load(name: String?, write: (URL) async throws -> Void) async throws -> [LoadedImageInfo] {
        if let name { try Self.mapped { _ = try ImageReference(parsing: name) } }
        let store = self.store
        let loaded = try await store.withScratch { scratch in
            let file = scratch.appendingPathComponent("upload.tar")
            try await write(file)
            return try Self.mapped { try store.load(from: file, name: name) }
        }
        logger.info("loaded", metadata: ["images": "\(loaded.count)"])
        return loaded.map { LoadedImageInfo(names: $0.names.map(\.familiar), digest: $0.manifestDigest.string) }
    }

    // MARK: Transfers

    func registryOptions(insecure: [String], credentials: RegistryCredentials?, registry: String) -> RegistryOptions {
        var options = RegistryOptions.standard(home: paths.home, insecure: insecureRegistries + insecure, logger: logger)
        if let credentials { options.suppliedCredentials[registry] = credentials }
        return options
    }

    /// Pulls `reference`; a pull of the same reference, platform and credentials that
    /// runs already is joined instead (one download).
    package func pull(_ reference: ImageReference, platform: PlatformChoice, insecure: [String], credentials: RegistryCredentials?) -> AsyncStream<ProgressMessage> {
        let key = "pull \(reference.string) \(platform) \(credentials.map { "\($0.username):\($0.password)" } ?? "")"
        let options = registryOptions(insecure: insecure, credentials: credentials, registry: reference.domain)
        let store = self.store
        let logger = self.logger
        return transfers.follow(key) { broadcast in
            let progress = TransferProgress { broadcast.send(ProgressMessage($0)) }
            progress.message("\(reference.tag ?? reference.digest?.string ?? ImageReference.defaultTag): Pulling from \(reference.name)")
            do {
                let result = try await Puller(store: store, options: options, progress: progress).pull(reference, platform: platform)
                progress.message("Digest: \(result.registryDigest)")
                progress.message(result.downloadedBytes > 0 ? "Status: Downloaded newer image for \(reference.familiar)"
                                                            : "Status: Image is up to date for \(reference.familiar)")
                broadcast.send(ProgressMessage(result: .init(reference: reference.withDefaultTag.string,
                                                             digest: result.registryDigest.string,
                                                             imageDigest: result.manifestDigest.string, bytes: result.downloadedBytes)))
                logger.info("pulled", metadata: ["image": "\(reference.familiar)", "bytes": "\(result.downloadedBytes)"])
            } catch {
                logger.notice("pull failed", metadata: ["image": "\(reference.familiar)", "error": "\(error)"])
                broadcast.send(ProgressMessage(error: "\(error)"))
            }
        }
    }

    /// Pushes the stored image `name` to the registry its name says.
    package func push(_ name: String, chunkSize: Int, insecure: [String], credentials: RegistryCredentials?) throws -> AsyncStream<ProgressMessage> {
        let reference = try Self.lookup(name) { try ImageReference(parsing: name) }
        guard reference.digest == nil else {
            throw EngineError.invalid("push takes NAME[:TAG], not a digest: tag the image first (hull tag)")
        }
        guard (try? store.resolve(reference.withDefaultTag.string)) != nil else {
            throw EngineError.notFound("no such image: \(reference.familiar) (hull tag an image with this name first)")
        }
        let options = registryOptions(insecure: insecure, credentials: credentials, registry: reference.domain)
        let store = self.store
        let logger = self.logger
        return transfers.follow("push \(UUID())") { broadcast in
            let progress = TransferProgress { broadcast.send(ProgressMessage($0)) }
            do {
                let result = try await Pusher(store: store, options: options, progress: progress, chunkSize: chunkSize).push(name)
                progress.message("\(result.reference.tag ?? ImageReference.defaultTag): digest: \(result.digest) size: \(result.size)")
                broadcast.send(ProgressMessage(result: .init(reference: result.reference.string, digest: result.digest.string,
                                                             imageDigest: result.digest.string, bytes: result.size)))
                logger.info("pushed", metadata: ["image": "\(result.reference.familiar)", "uploaded": "\(result.uploaded)"])
            } catch {
                logger.notice("push failed", metadata: ["image": "\(name)", "error": "\(error)"])
                broadcast.send(ProgressMessage(error: "\(error)"))
            }
        }
    }

    /// The store's errors as API errors: a missing image is a 404, one a container
    /// uses a 409, bad names and bad archives a 400.
    static func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ImageError {
            throw engineError(error)
        }
    }

    /// For calls that look an image up: a name that cannot be an image's is no image
    /// here either (404), as `docker image inspect` answers.
    static func lookup<T>(_ name: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ImageError {
            switch error {
            case .badReference, .malformedDigest, .unsupportedDigest:
                throw EngineError.notFound("no such image: \(name) (\(error))")
            default:
                throw engineError(error)
            }
        }
    }


    package static func engineError(_ error: ImageError) -> EngineError {
        switch error {
        case .noSuchImage: .notFound(error.description)
        case .imageInUse, .ambiguousImage: .conflict(error.description)
        case .malformedDigest, .unsupportedDigest, .badReference, .badDocument, .documentTooLarge, .digestMismatch,
             .sizeMismatch, .missingBlob, .truncatedArchive, .notAnArchive, .unknownFormat, .nothingToLoad,
             .unsafeArchivePath, .wrongPlatform, .noMatchingPlatform, .badPlatform, .pullNeedsName, .unsupportedMediaType,
             .layerCountMismatch, .diffIDMismatch, .nameNeedsSingleImage, .notADirectory:
            .invalid(error.description)
        case .io, .toolMissing, .toolFailed, .builtinRootfsMissing:
            .failed(error.description, cause: error)
        }
    }
}

extension ProgressMessage {
    /// A TransferProgress change as a line of the stream.
    init(_ event: TransferProgress.Event) {
        switch event {
        case .message(let text):
            self.init(status: text)
        case .status(let id, let status, let total):
            self.init(status: status, id: id, progressDetail: total.map { Detail(total: $0) })
        case .bytes(let id, let status, let done, let total):
            self.init(status: status, id: id, progressDetail: Detail(current: done, total: total))
        }
    }
}
