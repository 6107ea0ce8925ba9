import Foundation

/// An image found in the store, with what the runtime needs from it.
public struct ResolvedImage: Sendable, Equatable {
    /// How to show it: the name it was found under (`busybox:latest`) or its short digest.
    public let reference: String
    /// The tag it was found under; nil when it was named by digest.
    public let name: ImageReference?
    public let manifestDigest: Digest
    public let manifestSize: Int64
    public let manifest: OCIManifest
    public let configDigest: Digest
    public let config: OCIImageConfig
}

/// One row of `hull image ls`: one per tag, plus one per untagged image.
public struct ImageSummary: Sendable, Equatable {
    public var name: ImageReference?
    public var manifestDigest: Digest
    /// Manifest, config and layers as stored (layers compressed); nil when unreadable.
    public var size: Int64?
    public var created: Date?
    public var builtin: Bool
}

/// What `remove` did, in Docker's words.
public enum RemovalEvent: Sendable, Hashable, CustomStringConvertible {
    case untagged(ImageReference)
    case deleted(Digest)

    public var description: String {
        switch self {
        case .untagged(let ref): "Untagged: \(ref.familiar)"
        case .deleted(let digest): "Deleted: \(digest)"
        }
    }
}
