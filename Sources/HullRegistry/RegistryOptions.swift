import Foundation
import HullImages
import Logging

/// How hull talks to registries: which may use plain HTTP or unverified TLS, which extra
/// CA certificates to trust, where credentials are, how often to retry.
public struct RegistryOptions: Sendable {
    /// `HOST:PORT` (or `HOST`) names given with `--insecure-registry` or in
    /// `HULL_INSECURE_REGISTRIES`: plain HTTP, or TLS without verification, is allowed.
    public var insecure: Set<String>
    /// Folders holding `HOST:PORT/*.crt` CA certificates, as Docker's `/etc/docker/certs.d`.
    public var certDirectories: [URL]
    public var credentials: CredentialStore
    /// Credentials a client sent with this call, by registry; they win over stored ones.
    public var suppliedCredentials: [String: RegistryCredentials] = [:]
    public var retry: RetryPolicy
    public var logger: Logger

    public init(insecure: Set<String>, certDirectories: [URL], credentials: CredentialStore,
                retry: RetryPolicy = RetryPolicy(), logger: Logger) {
        self.insecure = insecure
        self.certDirectories = certDirectories
        self.credentials = credentials
        self.retry = retry
        self.logger = logger
    }

    /// `$HULL_HOME/certs.d` and `/etc/docker/certs.d`; credentials in `$HULL_HOME/auth.json`
    /// and Docker's config.json; insecure registries from the flags plus
    /// `HULL_INSECURE_REGISTRIES` (comma-separated).
    public static func standard(home: URL, insecure: [String], logger: Logger) -> RegistryOptions {
        let names = Set(insecure + environmentInsecure)
        return RegistryOptions(
            insecure: names,
            certDirectories: [home.appendingPathComponent("certs.d"), URL(fileURLWithPath: "/etc/docker/certs.d")],
            credentials: .standard(home: home), logger: logger)
    }

    /// `HULL_INSECURE_REGISTRIES` (comma-separated) of this process.
    public static var environmentInsecure: [String] {
        (ProcessInfo.processInfo.environment["HULL_INSECURE_REGISTRIES"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The CA certificate files for `registry` (`*.crt` in each `certs.d/REGISTRY/`).
    func caFiles(for registry: String) -> [String] {
        certDirectories.flatMap { dir -> [String] in
            let folder = dir.appendingPathComponent(registry)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.filter { $0.hasSuffix(".crt") }.sorted().map { folder.appendingPathComponent($0).path }
        }
    }

    func caPathHints(for registry: String) -> [String] {
        certDirectories.map { $0.appendingPathComponent(registry).appendingPathComponent("ca.crt").path }
    }

    public func allowsPlainHTTP(_ registry: String) -> Bool {
        insecure.contains(registry) || insecure.contains(Self.host(of: registry)) || Self.isLoopback(registry)
    }

    static func host(of registry: String) -> String {
        guard let colon = registry.lastIndex(of: ":") else { return registry }
        return String(registry[..<colon])
    }

    /// `localhost`, `127.x.x.x` and `::1`, with or without a port: plain HTTP is allowed
    /// there as in Docker.
    public static func isLoopback(_ registry: String) -> Bool {
        let host = host(of: registry)
        if host == "localhost" || host == "[::1]" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// Attempts and pauses for transient failures (dropped connections, 429, 5xx) of blob
/// transfers; a download resumes where it stopped (HTTP Range) when the registry allows.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var delays: [Duration]

    public init(attempts: Int = 5, delays: [Duration] = [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2)]) {
        self.attempts = attempts
        self.delays = delays
    }

    func delay(after attempt: Int) -> Duration {
        delays.isEmpty ? .zero : delays[min(attempt - 1, delays.count - 1)]
    }
}
