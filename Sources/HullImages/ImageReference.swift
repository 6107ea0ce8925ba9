/// An image name as Docker parses it: `busybox`, `busybox:1.36`, `name@sha256:…`,
/// `registry.example:5000/team/app:v2`. Names without a registry are Docker Hub's
/// (`docker.io`), and single-component Hub names live under `library/`, so
/// `busybox` is `docker.io/library/busybox:latest`; `familiar` gives the short form back.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    /// Registry host, with port when given: `docker.io`, `localhost:5000`.
    public let domain: String
    /// Repository path below the registry: `library/busybox`.
    public let path: String
    public let tag: String?
    public let digest: Digest?

    public static let defaultDomain = "docker.io"
    public static let defaultTag = "latest"

    public init(domain: String, path: String, tag: String?, digest: Digest?) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    public init(parsing text: String) throws(ImageError) {
        guard !text.isEmpty else { throw .badReference(text, "empty name") }
        guard text.utf8.count <= 512 else { throw .badReference(text, "name too long") }
        var rest = Substring(text)

        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            digest = try? Digest(parsing: String(rest[rest.index(after: at)...]))
            guard digest != nil else {
                throw .badReference(text, "the part after @ must be a digest like sha256:<64 hex digits>")
            }
            rest = rest[..<at]
        }

        var tag: String?
        // A colon after the last slash separates the tag; one before it is a registry port.
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let candidate = String(rest[rest.index(after: colon)...])
            guard Self.isValidTag(candidate) else {
                throw .badReference(text, "invalid tag \"\(candidate)\" (letters, digits, _ . -, at most 128, not starting with . or -)")
            }
            tag = candidate
            rest = rest[..<colon]
        }

        var domain = Self.defaultDomain
        var path = String(rest)
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                domain = String(first)
                path = String(rest[rest.index(after: slash)...])
            }
        }
        guard Self.isValidDomain(domain) else { throw .badReference(text, "invalid registry \"\(domain)\"") }
        if domain == "index.docker.io" { domain = Self.defaultDomain }
        if path.lowercased() != path {
            throw .badReference(text, "repository names must be lowercase")
        }
        guard !path.isEmpty, path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy(Self.isValidPathComponent) else {
            throw .badReference(text, "invalid repository name \"\(path)\" (lowercase letters, digits and . _ - separators)")
        }
        if domain == Self.defaultDomain && !path.contains("/") {
            // `docker pull <64 hex>` is refused the same way: it reads as an image id.
            if digest == nil && tag == nil && path.count == 64 && Digest(hex: path) != nil {
                throw .badReference(text, "a 64-character hex string is an image id, not a name")
            }
            path = "library/" + path
        }
        guard domain.utf8.count + 1 + path.utf8.count <= 255 else { throw .badReference(text, "name longer than 255 characters") }
        self.init(domain: domain, path: path, tag: tag, digest: digest)
    }

    /// `docker.io/library/busybox`
    public var name: String { "\(domain)/\(path)" }

    /// `busybox`, `team/app`, `localhost:5000/app`: how Docker shows the name.
    public var familiarName: String {
        guard domain == Self.defaultDomain else { return name }
        return path.hasPrefix("library/") && path.split(separator: "/").count == 2 ? String(path.dropFirst(8)) : path
    }

    /// The full form stored in the index: `docker.io/library/busybox:latest`; the tag is
    /// `latest` when neither a tag nor a digest was given.
    public var string: String { name + suffix }

    /// `busybox:latest`
    /// A name that can be pulled: a reference, not an image id or a digest alone.
    public static func pullable(_ text: String) throws(ImageError) -> ImageReference {
        guard !text.lowercased().hasPrefix("sha256:") else { throw ImageError.pullNeedsName(text) }
        return try ImageReference(parsing: text)
    }

    public var familiar: String { familiarName + suffix }

    public var description: String { familiar }

    private var suffix: String {
        var s = ""
        if let tag { s += ":" + tag } else if digest == nil { s += ":" + Self.defaultTag }
        if let digest { s += "@" + digest.string }
        return s
    }

    /// The same name with the default tag filled in when it has neither tag nor digest.
    public var withDefaultTag: ImageReference {
        tag == nil && digest == nil ? ImageReference(domain: domain, path: path, tag: Self.defaultTag, digest: nil) : self
    }

    /// The name and tag only, dropping any digest: the form an index entry is keyed by.
    public var tagged: ImageReference {
        ImageReference(domain: domain, path: path, tag: tag ?? Self.defaultTag, digest: nil)
    }

    static func isValidTag(_ tag: String) -> Bool {
        guard let first = tag.utf8.first, tag.utf8.count <= 128 else { return false }
        func word(_ c: UInt8) -> Bool { isAlnum(c) || c == UInt8(ascii: "_") }
        return word(first) && tag.utf8.allSatisfy { word($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isValidPathComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        guard let first = bytes.first, let last = bytes.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        var i = 0
        while i < bytes.count {
            if isLowerAlnum(bytes[i]) { i += 1; continue }
            // A separator run: ".", "_", "__" or one or more "-".
            var j = i
            while j < bytes.count && !isLowerAlnum(bytes[j]) { j += 1 }
            let run = String(decoding: bytes[i..<j], as: UTF8.self)
            guard run == "." || run == "_" || run == "__" || run.allSatisfy({ $0 == "-" }) else { return false }
            i = j
        }
        return true
    }

    static func isValidDomain(_ domain: String) -> Bool {
        var host = Substring(domain)
        if let colon = domain.lastIndex(of: ":") {
            let port = domain[domain.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber) else { return false }
            host = domain[..<colon]
        }
        return !host.isEmpty && host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let b = Array(label.utf8)
            guard let f = b.first, let l = b.last, isAlnum(f), isAlnum(l) else { return false }
            return b.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isLowerAlnum(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        isLowerAlnum(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
    }
}
