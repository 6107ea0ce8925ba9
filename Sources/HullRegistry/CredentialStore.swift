import Foundation
import HullImages

/// A user name and password (or identity token) for one registry.
public struct RegistryCredentials: Sendable, Equatable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// Docker's `auth` field: base64 of `user:password`.
    public var encoded: String { Data("\(username):\(password)".utf8).base64EncodedString() }

    public init?(encoded: String) {
        guard let data = Data(base64Encoded: encoded.trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        self.init(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }
}

/// Where `hull login` keeps credentials — `$HULL_HOME/auth.json`, mode 0600, in Docker's
/// config.json format (`{"auths": {"HOST[:PORT]": {"auth": "base64(user:password)"}}}`) —
/// and where Docker keeps them (`$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`), which is read as well. Hull's own file wins.
public struct CredentialStore: Sendable {
    public var file: URL
    public var dockerConfig: URL?

    /// Largest credentials file read.
    static let fileLimit = 1 << 20

    public init(file: URL, dockerConfig: URL?) {
        self.file = file
        self.dockerConfig = dockerConfig
    }

    public static func standard(home: URL) -> CredentialStore {
        let env = ProcessInfo.processInfo.environment
        let docker: URL
        if let dir = env["DOCKER_CONFIG"], !dir.isEmpty {
            docker = URL(fileURLWithPath: dir).appendingPathComponent("config.json")
        } else {
            docker = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".docker/config.json")
        }
        return CredentialStore(file: home.appendingPathComponent("auth.json"), dockerConfig: docker)
    }

    /// The key a registry is filed under: Docker Hub's is Docker's historical URL.
    static func key(for registry: String) -> String {
        registry == ImageReference.defaultDomain ? "https://index.docker.io/v1/" : registry
    }

    /// `https://index.docker.io/v1/` → `docker.io`; `http://host:5000/` → `host:5000`.
    public static func registry(forKey key: String) -> String {
        var host = Substring(key)
        for scheme in ["https://", "http://"] where host.hasPrefix(scheme) { host = host.dropFirst(scheme.count) }
        if let slash = host.firstIndex(of: "/") { host = host[..<slash] }
        let name = String(host).lowercased()
        return ["index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"].contains(name) ? ImageReference.defaultDomain : name
    }

    public func credentials(for registry: String) throws -> RegistryCredentials? {
        if let found = try Self.read(file)?[registry] { return found }
        if let dockerConfig, let found = try? Self.read(dockerConfig)?[registry] { return found }
        return nil
    }

    public func save(_ credentials: RegistryCredentials, for registry: String) throws {
        var document = try Self.readDocument(file) ?? [:]
        var auths = document["auths"] as? [String: Any] ?? [:]
        for key in auths.keys where Self.registry(forKey: key) == registry { auths.removeValue(forKey: key) }
        auths[Self.key(for: registry)] = ["auth": credentials.encoded]
        document["auths"] = auths
        try write(document)
    }

    /// Returns whether there was anything to remove.
    @discardableResult
    public func remove(for registry: String) throws -> Bool {
        guard var document = try Self.readDocument(file), var auths = document["auths"] as? [String: Any] else { return false }
        let keys = auths.keys.filter { Self.registry(forKey: $0) == registry }
        guard !keys.isEmpty else { return false }
        for key in keys { auths.removeValue(forKey: key) }
        document["auths"] = auths
        try write(document)
        return true
    }

    static func read(_ url: URL) throws -> [String: RegistryCredentials]? {
        guard let document = try readDocument(url) else { return nil }
        var result: [String: RegistryCredentials] = [:]
        for (key, value) in document["auths"] as? [String: Any] ?? [:] {
            guard let entry = value as? [String: Any] else { continue }
            if let auth = entry["auth"] as? String, let creds = RegistryCredentials(encoded: auth) {
                result[registry(forKey: key)] = creds
            } else if let user = entry["username"] as? String, let password = entry["password"] as? String {
                result[registry(forKey: key)] = RegistryCredentials(username: user, password: password)
            }
        }
        return result
    }

    static func readDocument(_ url: URL) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let data = try handle.read(upToCount: fileLimit + 1) ?? Data()
        guard data.count <= fileLimit else { throw RegistryError.credentialsFile(url.path, "larger than 1 MiB") }
        if data.isEmpty { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: data), let document = object as? [String: Any] else {
            throw RegistryError.credentialsFile(url.path, "not a JSON object")
        }
        return document
    }

    /// Temporary file made 0600 before anything is written to it, then renamed over.
    private func write(_ document: [String: Any]) throws {
        let dir = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        let temporary = dir.appendingPathComponent(".\(file.lastPathComponent).\(getpid()).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw RegistryError.credentialsFile(file.path, "cannot create \(temporary.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            _ = chmod(temporary.path, 0o600)
            guard rename(temporary.path, file.path) == 0 else {
                throw RegistryError.credentialsFile(file.path, String(cString: strerror(errno)))
            }
        } catch {
            unlink(temporary.path)
            throw error
        }
    }
}
