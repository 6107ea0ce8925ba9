import Foundation

/// What loading an input will put into the store, worked out (and checked) before the
/// store is touched: names, the OCI manifest and config bytes, and where each layer's
/// bytes are, with the digest they must hash to.
struct PlannedImage {
    var names: [ImageReference]
    /// Where the image came from, for messages: "index.json entry v1", "manifest.json[0]".
    var origin: String
    var manifest: Data
    var manifestDigest: Digest
    var config: Data
    var configDigest: Digest
    var layers: [PlannedBlob]
}

struct PlannedBlob {
    var source: URL
    var digest: Digest
    var size: Int64?
    var what: String
    /// The file's content was hashed to `digest` as it was written (a download in the
    /// store's scratch space): it is renamed into place instead of copied.
    var verified = false
}

/// An image that `load` stored: under which names and which manifest digest.
public struct LoadedImage: Sendable, Equatable {
    public var names: [ImageReference]
    public var manifestDigest: Digest
}

/// How `--name` renames what an input calls its images.
struct LoadNaming {
    var override: ImageReference?
    /// Whether the override carried its own tag (`app:v1`) rather than a repository only (`app`).
    var overrideHasTag: Bool

    init(_ name: String?) throws {
        guard let name else {
            override = nil
            overrideHasTag = false
            return
        }
        let parsed = try ImageReference(parsing: name)
        guard parsed.digest == nil else { throw ImageError.badReference(name, "--name takes NAME[:TAG], not a digest") }
        override = parsed
        overrideHasTag = parsed.tag != nil
    }

    /// Names for one image, from what the input says about it (`declared`: full
    /// references; `tagOnly`: bare tags such as an OCI layout's "latest").
    func names(declared: [ImageReference], tagOnly: [String]) -> [ImageReference] {
        if let override {
            if overrideHasTag { return [override] }
            let tags = declared.compactMap(\.tag) + tagOnly
            return (tags.isEmpty ? [ImageReference.defaultTag] : tags).map {
                ImageReference(domain: override.domain, path: override.path, tag: $0, digest: nil)
            }
        }
        return declared.map(\.tagged)
    }

    /// A tagged override fits one image only.
    func check(imageCount: Int) throws {
        if let override, overrideHasTag, imageCount > 1 {
            throw ImageError.nameNeedsSingleImage(override.familiar, count: imageCount)
        }
    }
}
