import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Content-addressed blobs under `blobs/sha256/<hex>`. A blob reaches its final name only
/// after its bytes were hashed, compared with the digest they were announced under and
/// fsynced; so a blob file, once present, is whole and correct. Reads check again.
public struct BlobStore: Sendable {
    public let directory: URL
    let temp: TempArea

    /// Largest manifest, index or config read into memory.
    public static let documentLimit = 16 << 20

    init(directory: URL, temp: TempArea) {
        self.directory = directory
        self.temp = temp
    }

    public func path(_ digest: Digest) -> URL { directory.appendingPathComponent(digest.hex) }

    public func contains(_ digest: Digest) -> Bool {
        FileManager.default.fileExists(atPath: path(digest).path)
    }

    public func size(_ digest: Digest) -> Int64? {
        var st = stat()
        return lstat(path(digest).path, &st) == 0 ? Int64(st.st_size) : nil
    }

    /// Every blob file, by digest; files that are not named by a digest are skipped.
    public func all() -> [Digest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { Digest(hex: $0) }.sorted()
    }

    /// Stores `data` (a manifest or config made in memory). Returns true when the blob was new.
    @discardableResult
    func write(_ data: Data, expected: Digest? = nil, what: String) throws -> (digest: Digest, created: Bool) {
        let digest = Digest.sha256(data)
        if let expected, expected != digest { throw ImageError.digestMismatch(what, expected: expected, actual: digest) }
        if contains(digest) { return (digest, false) }
        let partial = temp.path(".blob")
        try RawFile.writeAtomically(data, to: path(digest), temporary: partial)
        return (digest, true)
    }

    /// Copies the file at `source` in, hashing as it goes; the blob is kept only when the
    /// content hashes to `expected` (and has `expectedSize` bytes, when given). Without
    /// `expected` the computed digest names it. Returns the digest and whether it was new.
    @discardableResult
    func ingest(_ source: URL, expected: Digest?, expectedSize: Int64? = nil, what: String) throws -> (digest: Digest, size: Int64, created: Bool) {
        if let expected, contains(expected) {
            // Same digest, same content: this store verified it when it came in. A
            // descriptor that claims another size for it is lying (a registry or archive
            // naming a known layer with a made-up size): refuse it, never store the claim.
            let stored = size(expected) ?? 0
            if let expectedSize, stored != expectedSize {
                throw ImageError.sizeMismatch(what, expected: expectedSize, actual: stored)
            }
            return (expected, stored, false)
        }
        let partial = temp.path(".blob")
        let input = try RawFile.open(source, flags: O_RDONLY)
        defer { input.close() }
        let output = try RawFile.open(partial, flags: O_WRONLY | O_CREAT | O_EXCL)
        var hasher = DigestHasher()
        do {
            try input.forEachChunk { chunk in
                hasher.update(chunk)
                try output.write(chunk)
            }
            try output.sync()
            output.close()
        } catch {
            output.close()
            unlink(partial.path)
            throw error
        }
        let digest = hasher.finalize()
        do {
            if let expected, digest != expected { throw ImageError.digestMismatch(what, expected: expected, actual: digest) }
            if let expectedSize, hasher.count != expectedSize {
                throw ImageError.sizeMismatch(what, expected: expectedSize, actual: hasher.count)
            }
        } catch {
            unlink(partial.path)
            throw error
        }
        if contains(digest) {
            unlink(partial.path)
            return (digest, hasher.count, false)
        }
        _ = chmod(partial.path, 0o600)   // image configs may carry secrets in ENV: root's alone
        guard rename(partial.path, path(digest).path) == 0 else {
            let code = errno
            unlink(partial.path)
            throw ImageError.io("rename into \(directory.path)", code)
        }
        RawFile.syncDirectory(directory)
        return (digest, hasher.count, true)
    }

    /// Renames `file` (in the store's scratch space, its content already hashed to `digest`
    /// by whoever wrote it) into place; only its size is checked again.
    func adopt(_ file: URL, digest: Digest, size expected: Int64?, what: String) throws -> (digest: Digest, size: Int64, created: Bool) {
        // A layer listed twice in one manifest is adopted once.
        if contains(digest) { return (digest, self.size(digest) ?? 0, false) }
        var st = stat()
        guard lstat(file.path, &st) == 0 else { throw ImageError.io("stat \(file.path)", errno) }
        let size = Int64(st.st_size)
        if let expected, size != expected { throw ImageError.sizeMismatch(what, expected: expected, actual: size) }
        _ = chmod(file.path, 0o600)
        guard rename(file.path, path(digest).path) == 0 else { throw ImageError.io("rename into \(directory.path)", errno) }
        RawFile.syncDirectory(directory)
        return (digest, size, true)
    }

    /// A small blob's bytes (manifest, index, config), checked against its digest.
    public func read(_ digest: Digest, what: String) throws -> Data {
        let file: RawFile
        do {
            file = try RawFile.open(path(digest), flags: O_RDONLY)
        } catch ImageError.io(_, ENOENT) {
            throw ImageError.missingBlob(what, digest)
        }
        defer { file.close() }
        guard let data = try file.readAll(limit: Self.documentLimit) else {
            throw ImageError.documentTooLarge(what, Self.documentLimit)
        }
        let actual = Digest.sha256(data)
        guard actual == digest else { throw ImageError.digestMismatch("stored \(what)", expected: digest, actual: actual) }
        return data
    }

    /// Hashes a stored blob of any size and compares it with its name.
    public func verify(_ digest: Digest, what: String) throws {
        guard contains(digest) else { throw ImageError.missingBlob(what, digest) }
        let actual = try Digest.sha256(fileAt: path(digest)).digest
        guard actual == digest else { throw ImageError.digestMismatch("stored \(what)", expected: digest, actual: actual) }
    }

    func remove(_ digest: Digest) {
        unlink(path(digest).path)
    }
}
