import Foundation

/// Everything the image store can refuse, each saying what went wrong and what to do.
public enum ImageError: Error, CustomStringConvertible, Equatable {
    case malformedDigest(String)
    case unsupportedDigest(String)
    case badReference(String, String)
    case badDocument(String, String)
    case documentTooLarge(String, Int)
    case io(String, Int32)
    case noSuchImage(String)
    case ambiguousImage(String, [String])
    case toolMissing(String, package: String)
    case toolFailed(String, status: Int32, output: String)
    case digestMismatch(String, expected: Digest, actual: Digest)
    case sizeMismatch(String, expected: Int64, actual: Int64)
    case missingBlob(String, Digest)
    case truncatedArchive(String, String)
    case notAnArchive(String, String)
    case unknownFormat(String)
    case nothingToLoad(String)
    case unsafeArchivePath(String)
    case wrongPlatform(String, found: String)
    case noMatchingPlatform(String, wanted: String, available: [String])
    case badPlatform(String)
    case pullNeedsName(String)
    case unsupportedMediaType(String, String)
    case layerCountMismatch(String, layers: Int, diffIDs: Int)
    case diffIDMismatch(String, layer: Int, expected: Digest, actual: Digest)
    case nameNeedsSingleImage(String, count: Int)
    case imageInUse(String, runs: [String])
    case builtinRootfsMissing(String)
    case notADirectory(String)

    public var description: String {
        switch self {
        case .malformedDigest(let d):
            "malformed digest \"\(d)\": expected sha256:<64 lowercase hex digits>"
        case .unsupportedDigest(let d):
            "unsupported digest \(d): Hull stores sha256 content only"
        case .badReference(let r, let why):
            "invalid image reference \"\(r)\": \(why)"
        case .badDocument(let what, let why):
            "\(what) is not valid: \(why)"
        case .documentTooLarge(let what, let limit):
            "\(what) is larger than \(limit / 1024) KiB, too large for an image document"
        case .io(let what, let code):
            "\(what): \(String(cString: strerror(code)))"
        case .noSuchImage(let r):
            "no such image: \(r) (hull image ls lists the images; hull image load FILE adds one)"
        case .ambiguousImage(let r, let matches):
            "\(r) matches several images (\(matches.joined(separator: ", "))): give more of the digest"
        case .toolMissing(let tool, let package):
            "\(tool) is not installed: apt-get install \(package) (scripts/setup.sh installs it)"
        case .toolFailed(let command, let status, let output):
            "\(command) failed (status \(status)): \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .digestMismatch(let what, let expected, let actual):
            "\(what) does not match its digest: expected \(expected), content is \(actual); the image is corrupt, nothing was stored"
        case .sizeMismatch(let what, let expected, let actual):
            "\(what) has \(actual) bytes but its descriptor says \(expected); the image is corrupt, nothing was stored"
        case .missingBlob(let what, let digest):
            "\(what) names blob \(digest), which is missing; the image is incomplete, nothing was stored"
        case .truncatedArchive(let path, let detail):
            "\(path) is truncated (\(detail)); nothing was stored — copy or save the image again"
        case .notAnArchive(let path, let detail):
            "\(path) is not a readable tar archive (\(detail))"
        case .unknownFormat(let path):
            "\(path) is neither an OCI image layout (oci-layout, index.json, blobs/) nor a docker save archive (manifest.json)"
        case .nothingToLoad(let path):
            "\(path) holds no image manifests to load"
        case .unsafeArchivePath(let path):
            "the archive names \(path), which lies outside the archive; refusing it"
        case .wrongPlatform(let image, let found):
            "\(image) is a \(found) image, but Hull runs \(ImagePlatform.host) guests only; nothing was stored"
        case .noMatchingPlatform(let image, let wanted, let available):
            "\(image) has no \(wanted) variant (it has \(available.isEmpty ? "none" : available.joined(separator: ", "))); nothing was stored"
        case .unsupportedMediaType(let what, let type):
            "\(what) has media type \"\(type)\", which Hull cannot use"
        case .layerCountMismatch(let image, let layers, let diffIDs):
            "\(image): the manifest lists \(layers) layers but the config lists \(diffIDs) diff_ids; the image is corrupt"
        case .diffIDMismatch(let image, let layer, let expected, let actual):
            "\(image): layer \(layer + 1) unpacks to \(actual), but the config says \(expected); the image is corrupt, nothing was stored"
        case .nameNeedsSingleImage(let name, let count):
            "--name \(name) names one image, but the input holds \(count); give a name without a tag to keep each image's own tag"
        case .imageInUse(let ref, let runs):
            "image \(ref) is in use by container\(runs.count == 1 ? "" : "s") \(runs.joined(separator: ", ")); stop \(runs.count == 1 ? "it" : "them") or use -f"
        case .builtinRootfsMissing(let path):
            "the built-in busybox image cannot be made: its rootfs \(path) is missing (run scripts/setup.sh)"
        case .badPlatform(let text):
            "invalid platform \"\(text)\": expected OS/ARCH[/VARIANT], e.g. linux/amd64"
        case .pullNeedsName(let text):
            "\(text) is not an image name that can be pulled (give NAME[:TAG] or NAME@sha256:…)"
        case .notADirectory(let path):
            "\(path) is not a directory"
        }
    }
}
