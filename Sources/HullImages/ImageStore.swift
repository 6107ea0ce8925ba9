import Foundation
import Logging

/// Hull's images, kept as an OCI image layout at `$HULL_HOME/oci` (`oci-layout`,
/// `index.json`, `blobs/sha256/`), so skopeo and umoci can read it:
/// `skopeo inspect oci:$HULL_HOME/oci:docker.io/library/busybox:latest`. Tags are index
/// entries whose `org.opencontainers.image.ref.name` is the full reference.
///
/// Writers (load, rm, tag, gc) hold an exclusive flock on `oci/.hull-lock`, readers a
/// shared one; scratch files live in `oci/.hull-tmp` and are named after their process,
/// so what a crashed process left is recognised and removed. index.json is only ever
/// replaced by rename. The class holds no mutable state: every call takes the lock.
public final class ImageStore: Sendable {
    public let home: URL
    public let layout: URL
    public let blobs: BlobStore
    public let disks: RootfsCache
    public let trees: RootfsCache
    public let usage: ImageUsage
    let temp: TempArea
    let lockFile: URL
    let builtin: BuiltinImage
    let logger: Logger

    public init(home: URL, logger: Logger = Logger(label: "hull.images")) {
        self.home = home
        self.layout = home.appendingPathComponent("oci")
        self.temp = TempArea(root: layout.appendingPathComponent(".hull-tmp"))
        self.blobs = BlobStore(directory: layout.appendingPathComponent("blobs/sha256"), temp: temp)
        self.disks = RootfsCache(directory: home.appendingPathComponent("disks"), suffix: ".ext4")
        self.trees = RootfsCache(directory: home.appendingPathComponent("trees"), suffix: ".tree")
        self.usage = ImageUsage(runs: home.appendingPathComponent("run"))
        self.lockFile = layout.appendingPathComponent(".hull-lock")
        self.builtin = BuiltinImage(directory: home.appendingPathComponent("images/busybox"))
        self.logger = logger
    }

    /// `$HULL_HOME`, default /var/lib/hull.
    public static var defaultHome: URL {
        if let env = ProcessInfo.processInfo.environment["HULL_HOME"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: "/var/lib/hull")
    }

    var indexFile: URL { layout.appendingPathComponent("index.json") }

    // MARK: - Reading

    /// The image `text` names: `busybox`, `busybox:1.36`, `app@sha256:…`, `sha256:…` or
    /// a unique prefix of a manifest digest. `busybox[:latest]` is made from the built-in
    /// rootfs on first use (and again when that rootfs changes).
    public func resolve(_ text: String) throws -> ResolvedImage {
        var builtinError: (any Error)?
        if Self.isBuiltinReference(text) {
            do { try ensureBuiltin() } catch { builtinError = error }
        }
        do {
            return try withLock(.shared) {
                let match = try lookup(text, in: try readIndex())
                return try open(match)
            }
        } catch ImageError.noSuchImage(let name) {
            // The built-in image could not be made: that is the error worth showing.
            if let builtinError { throw builtinError }
            throw ImageError.noSuchImage(name)
        }
    }

    /// Every tagged image and every untagged one, sorted by name.
    public func list() throws -> [ImageSummary] {
        do { try ensureBuiltin() } catch { logger.warning("built-in busybox image: \(error)") }
        return try withLock(.shared) {
            try readIndex().manifests.map { entry in
                let name = Self.entryName(entry)
                let image = try? open(Match(descriptor: entry, name: name))
                return ImageSummary(
                    name: name, manifestDigest: image?.manifestDigest ?? entry.digest,
                    size: image.map { $0.manifestSize.addingReportingOverflow($0.manifest.contentSize) }
                        .map { $0.overflow ? .max : $0.partialValue },
                    created: image?.config.createdDate,
                    builtin: entry.annotations?[OCIAnnotation.hullBuiltin] != nil)
            }.sorted { a, b in
                (a.name?.familiarName ?? "~", a.name?.tag ?? "", a.manifestDigest.hex) < (b.name?.familiarName ?? "~", b.name?.tag ?? "", b.manifestDigest.hex)
            }
        }
    }

    /// The image's config blob, as stored (`hull image inspect`).
    public func configJSON(_ text: String) throws -> Data {
        let image = try resolve(text)
        return try withLock(.shared) { try blobs.read(image.configDigest, what: "config of \(image.reference)") }
    }

    // MARK: - Internals

    struct Match {
        var descriptor: OCIDescriptor
        var name: ImageReference?
    }

    /// The full name an index entry is tagged with; nil for untagged entries and for bare
    /// tags other tools may have written.
    static func entryName(_ entry: OCIDescriptor) -> ImageReference? {
        guard let refName = entry.refName, refName.contains(":") || refName.contains("/") else { return nil }
        return (try? ImageReference(parsing: refName))?.withDefaultTag
    }

    func lookup(_ text: String, in index: OCIIndex) throws -> Match {
        var parseError: ImageError?
        do {
            let ref = try ImageReference(parsing: text)
            if let digest = ref.digest {
                let hits = index.manifests.filter { $0.digest == digest }
                if let hit = hits.first(where: { Self.entryName($0)?.name == ref.name }) ?? hits.first {
                    return Match(descriptor: hit, name: nil)
                }
            } else {
                let key = ref.withDefaultTag
                if let hit = index.manifests.first(where: { Self.entryName($0) == key }) {
                    return Match(descriptor: hit, name: key)
                }
            }
        } catch {
            parseError = error
        }
        // An image id: a digest, or a unique prefix of one (at least 4 hex digits).
        var hex = text.lowercased()
        if hex.hasPrefix("sha256:") { hex.removeFirst(7) }
        if hex.count >= 4, hex.count <= 64, hex.allSatisfy(\.isHexDigit) {
            let digests = Set(index.manifests.map(\.digest).filter { $0.hex.hasPrefix(hex) })
            if digests.count > 1 { throw ImageError.ambiguousImage(text, digests.map(\.short).sorted()) }
            if let digest = digests.first, let hit = index.manifests.first(where: { $0.digest == digest }) {
                return Match(descriptor: hit, name: nil)
            }
        }
        if let parseError, !text.lowercased().hasPrefix("sha256:") { throw parseError }
        throw ImageError.noSuchImage(text)
    }

    func open(_ match: Match) throws -> ResolvedImage {
        let shown = match.name?.familiar ?? match.descriptor.digest.short
        var desc = match.descriptor
        var data = try blobs.read(desc.digest, what: "manifest of \(shown)")
        let probe = try JSONCoding.decode(DocumentProbe.self, from: data, what: "manifest of \(shown)")
        if MediaType.isIndex(desc.mediaType) || (desc.mediaType.isEmpty && probe.manifests != nil) {
            // Put there by another tool (skopeo copy --all into the store).
            let index = try OCIIndex.decode(data, what: "index of \(shown)")
            desc = try OCILayoutSource.selectPlatform(index, label: shown)
            data = try blobs.read(desc.digest, what: "manifest of \(shown)")
        }
        let manifest = try OCIManifest.decode(data, what: "manifest \(desc.digest) of \(shown)")
        let configData = try blobs.read(manifest.config.digest, what: "config of \(shown)")
        let config = try OCIImageConfig.decode(configData, what: "config \(manifest.config.digest) of \(shown)")
        return ResolvedImage(reference: shown, name: match.name, manifestDigest: desc.digest, manifestSize: Int64(data.count),
                             manifest: manifest, configDigest: manifest.config.digest, config: config)
    }

    func readIndex() throws -> OCIIndex {
        let file: RawFile
        do {
            file = try RawFile.open(indexFile, flags: O_RDONLY)
        } catch ImageError.io(_, ENOENT) {
            return OCIIndex()
        }
        defer { file.close() }
        guard let data = try file.readAll(limit: BlobStore.documentLimit) else {
            throw ImageError.documentTooLarge(indexFile.path, BlobStore.documentLimit)
        }
        return try OCIIndex.decode(data, what: indexFile.path)
    }

    func writeIndex(_ index: OCIIndex) throws {
        try RawFile.writeAtomically(try JSONCoding.encode(index), to: indexFile, temporary: temp.path(".index.json"))
    }

    func withLock<T>(_ mode: FileLock.Mode, _ body: () throws -> T) throws -> T {
        try PrivateFile.createDirectory(blobs.directory)
        try PrivateFile.createDirectory(temp.root)
        return try FileLock.withLock(lockFile, mode) {
            if mode == .exclusive {
                try ensureLayoutFiles()
                temp.removeStale()
            }
            return try body()
        }
    }

    private func ensureLayoutFiles() throws {
        let marker = layout.appendingPathComponent("oci-layout")
        if !FileManager.default.fileExists(atPath: marker.path) {
            try RawFile.writeAtomically(Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: marker, temporary: temp.path(".oci-layout"))
        }
        if !FileManager.default.fileExists(atPath: indexFile.path) {
            try writeIndex(OCIIndex())
        }
    }
}
