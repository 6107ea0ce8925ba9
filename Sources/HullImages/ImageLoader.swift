import Foundation
import Logging

/// Reads what `hull image load` is given — an OCI layout folder, an OCI layout tar
/// (`oci-archive:`), a `docker save` tar (`docker-archive:`) or an extracted docker save
/// folder — and plans the images in it. Archives are unpacked with GNU tar into the
/// store's scratch space first; nothing here writes to the store.
struct ImageLoader {
    let logger: Logger

    func plan(_ source: URL, scratch: URL, naming: LoadNaming) throws -> [PlannedImage] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDir) else {
            throw ImageError.io(source.path, ENOENT)
        }
        let display = source.path
        if isDir.boolValue {
            return try planDirectory(source, display: display, confined: false, naming: naming)
        }
        let extracted = scratch.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: extracted, withIntermediateDirectories: true)
        try extract(source, into: extracted)
        do {
            return try planDirectory(extracted, display: display, confined: true, naming: naming)
        } catch let error as ImageError where error.suggestsMissingContent {
            // GNU tar stops quietly when an uncompressed archive ends inside a header or on
            // a member boundary; what then seems missing was cut off.
            if Self.lacksEndOfArchive(source) {
                throw ImageError.truncatedArchive(display, "it stops before tar's end-of-archive blocks")
            }
            throw error
        }
    }

    /// Whether an uncompressed tar file stops short of the zero blocks that end every tar
    /// archive written in full. Compressed files are judged by their decompressor instead.
    static func lacksEndOfArchive(_ file: URL) -> Bool {
        guard (try? Compression.detect(file)) == Compression.none,
              let handle = try? FileHandle(forReadingFrom: file) else { return false }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size >= 1024 else { return true }
        try? handle.seek(toOffset: size - 1024)
        guard let tail = try? handle.read(upToCount: 1024) else { return false }
        return !tail.allSatisfy { $0 == 0 }
    }

    private func planDirectory(_ dir: URL, display: String, confined: Bool, naming: LoadNaming) throws -> [PlannedImage] {
        // Docker 25+ writes both forms into one archive; the OCI index carries more.
        if OCILayoutSource.looksLike(dir) {
            return try OCILayoutSource(root: dir, display: display, confined: confined, logger: logger).plan(naming: naming)
        }
        if DockerArchiveSource.looksLike(dir) {
            return try DockerArchiveSource(root: dir, display: display, logger: logger).plan(naming: naming)
        }
        throw ImageError.unknownFormat(display)
    }

    private func extract(_ archive: URL, into dir: URL) throws {
        do {
            // GNU tar detects gzip/xz/zstd itself; symlinks that point outside are extracted
            // as placeholders by tar, and every path read later is confined to `dir`.
            try ToolRunner.run("tar", ["-x", "-f", archive.path, "-C", dir.path, "--no-same-owner", "--no-same-permissions"])
        } catch ImageError.toolFailed(_, _, let output) {
            let lines = output.split(separator: "\n").map(String.init)
            let detail = lines.first { !$0.contains("Exiting with failure") && !$0.contains("not recoverable") } ?? output
            let lower = output.lowercased()
            if lower.contains("unexpected eof") || lower.contains("unexpected end of file") {
                throw ImageError.truncatedArchive(archive.path, detail.trimmingCharacters(in: .whitespaces))
            }
            throw ImageError.notAnArchive(archive.path, detail.trimmingCharacters(in: .whitespaces))
        }
    }
}

extension ImageError {
    /// Errors an archive cut short produces once extracted.
    var suggestsMissingContent: Bool {
        switch self {
        case .unknownFormat, .missingBlob, .nothingToLoad, .badDocument, .io(_, ENOENT): true
        default: false
        }
    }
}
