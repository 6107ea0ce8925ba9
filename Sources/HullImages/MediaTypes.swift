/// The media types Hull reads. The store itself only ever holds OCI manifests: Docker v2
/// schema 2 manifests are converted on load, as `skopeo copy … oci:` does, so that
/// umoci (which unpacks OCI manifests only) and other OCI tools can read the store.
public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociLayerNondistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar"
    public static let ociLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    public static let ociLayerNondistributableZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"

    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    public static let dockerManifestSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    public static func isIndex(_ type: String) -> Bool {
        type == ociIndex || type == dockerManifestList
    }

    public static func isManifest(_ type: String) -> Bool {
        type == ociManifest || type == dockerManifest
    }

    public static func isConfig(_ type: String) -> Bool {
        type == ociConfig || type == dockerConfig
    }

    public static func isSchema1(_ type: String) -> Bool {
        type == dockerManifestSchema1 || type == dockerManifestSchema1Signed
    }

    /// The OCI media type for a layer of either family; nil for anything that is not a
    /// filesystem layer Hull can apply.
    public static func ociLayerType(for type: String) -> String? {
        switch type {
        case ociLayer, ociLayerGzip, ociLayerZstd,
             ociLayerNondistributable, ociLayerNondistributableGzip, ociLayerNondistributableZstd:
            type
        case dockerLayerGzip: ociLayerGzip
        case dockerLayer: ociLayer
        case dockerForeignLayerGzip: ociLayerNondistributableGzip
        default: nil
        }
    }
}

/// The only platform Hull's guests run.
public struct ImagePlatform: Sendable, Equatable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    public static let host = ImagePlatform(os: "linux", architecture: "amd64")

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    public var description: String {
        [os, architecture, variant].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "/")
    }

    /// Variants of amd64 (v2, v3…) are CPU feature levels; Hull does not tell them apart.
    public func runsOnHost() -> Bool {
        os == Self.host.os && architecture == Self.host.architecture
    }
}
