/// Which manifest of a multi-platform index (OCI index or Docker manifest list) to take:
/// linux/amd64 unless `--platform os/arch[/variant]` says otherwise. Attestations and
/// signatures ride along in indexes as unknown/unknown entries and are never chosen.
public struct PlatformChoice: Sendable, Equatable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    /// nil: any variant (amd64 variants are CPU feature levels Hull does not tell apart).
    public var variant: String?

    public static let host = PlatformChoice(os: ImagePlatform.host.os, architecture: ImagePlatform.host.architecture, variant: nil)

    public init(os: String, architecture: String, variant: String?) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// `linux/amd64`, `linux/arm64/v8`, `linux/arm/v7`.
    public init(parsing text: String) throws(ImageError) {
        let parts = text.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") } }) else {
            throw ImageError.badPlatform(text)
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    public var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }

    public func matches(_ platform: OCIPlatform) -> Bool {
        platform.os == os && platform.architecture == architecture && (variant == nil || platform.variant == variant)
    }

    public func select(from index: OCIIndex, label: String) throws(ImageError) -> OCIDescriptor {
        let manifests = index.manifests.filter { $0.mediaType.isEmpty || MediaType.isManifest($0.mediaType) }
        let images = manifests.filter { $0.platform?.os != "unknown" }
        if let match = images.first(where: { $0.platform.map(matches) == true }) { return match }
        if images.count == 1, images[0].platform == nil { return images[0] }
        throw ImageError.noMatchingPlatform(label, wanted: description,
                                            available: images.compactMap { $0.platform?.imagePlatform.description })
    }
}
