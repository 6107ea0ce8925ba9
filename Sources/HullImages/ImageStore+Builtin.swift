import Foundation
import Logging

/// The built-in busybox image, made on first use.
extension ImageStore {
    /// Makes `busybox:latest` from the built-in rootfs when it is missing or was made from
    /// an older rootfs; leaves a `busybox:latest` the user loaded alone. Returns whether it
    /// (re)made the image. Cheap when nothing is to do.
    @discardableResult
    public func ensureBuiltin() throws -> Bool {
        guard let version = builtin.version() else { return false }
        guard try withLock(.shared, { builtinNeeded(try readIndex(), version: version) }) else { return false }
        try importBuiltin(onlyIfNeeded: true)
        return true
    }

    /// Makes `busybox:latest` from the built-in rootfs (`hull image import-builtin`).
    @discardableResult
    public func importBuiltin(onlyIfNeeded: Bool = false) throws -> LoadedImage? {
        guard let version = builtin.version() else { throw ImageError.builtinRootfsMissing(builtin.rootfs.path) }
        return try temp.withDirectory { scratch in
            let plan = try builtin.plan(scratch: scratch)
            return try withLock(.exclusive) {
                if onlyIfNeeded, !builtinNeeded(try readIndex(), version: version) { return nil }
                logger.info("made the built-in image busybox:latest (\(plan.manifestDigest.short)) from \(version)")
                return try commit([plan], annotations: [OCIAnnotation.hullBuiltin: version]).first
            }
        }
    }

    static func isBuiltinReference(_ text: String) -> Bool {
        (try? ImageReference(parsing: text))?.withDefaultTag == BuiltinImage.reference
    }

    func builtinNeeded(_ index: OCIIndex, version: String) -> Bool {
        guard let entry = index.manifests.first(where: { Self.entryName($0) == BuiltinImage.reference }) else { return true }
        guard let made = entry.annotations?[OCIAnnotation.hullBuiltin] else { return false }
        return made != version || !blobs.contains(entry.digest)
    }
}
