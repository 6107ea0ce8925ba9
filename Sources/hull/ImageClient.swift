import ArgumentParser
import Foundation
import HullAPI
import HullClient
import HullImages
import HullRegistry

/// What image commands share as clients of hulld's `/v1/images…`: query strings, the
/// registry credentials sent along, and drawing a pull's or push's progress stream.
enum ImageClient {
    /// `?a=1&b=x%2Fy`: names hold `/`, `:` and `@`, which go percent-encoded.
    static func query(_ items: [(String, String?)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let parts = items.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" }
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }

    /// The credentials this user keeps for `registry` (`hull login`'s $HULL_HOME/auth.json,
    /// then Docker's config.json), as Docker's X-Registry-Auth header; none when there are
    /// none (hulld then uses its own).
    static func authHeaders(for registry: String) -> [(String, String)] {
        let store = CredentialStore.standard(home: ImageStore.defaultHome)
        guard let credentials = try? store.credentials(for: registry) else { return [] }
        let header = RegistryAuthHeader(username: credentials.username, password: credentials.password, serveraddress: registry)
        return [(RegistryAuthHeader.name, header.encoded)]
    }

    /// `--insecure-registry` values plus HULL_INSECURE_REGISTRIES, comma-separated.
    static func insecure(_ flags: RegistryFlags) -> String? {
        let names = flags.insecure + RegistryOptions.environmentInsecure
        return names.isEmpty ? nil : names.joined(separator: ",")
    }

    /// Docker's 12-digit short form of a `sha256:…` digest from hulld.
    static func short(_ digest: String) -> String {
        (try? Digest(parsing: digest).short) ?? String(digest.prefix(12))
    }

    /// Follows a transfer, drawing it on stderr as a local one would be; the result, or
    /// the transfer's error as a DaemonClientError.
    static func follow(_ stream: AsyncThrowingStream<ProgressMessage, any Error>, quiet: Bool) async throws -> ProgressMessage.Result {
        let progress = TransferProgress(quiet: quiet)
        var statuses: [String: String] = [:]
        for try await message in stream {
            if let error = message.error { throw DaemonClientError(status: 500, message: error) }
            if let result = message.result { return result }
            guard let status = message.status else { continue }
            guard let id = message.id else {
                progress.message(status)
                continue
            }
            if statuses[id] != status || message.progressDetail?.current == nil {
                statuses[id] = status
                progress.set(id, status, total: message.progressDetail?.total)
            }
            if let current = message.progressDetail?.current { progress.bytes(id, current) }
        }
        throw DaemonClientError(status: nil, message: "hulld ended the transfer without saying how it went (see hulld's log)")
    }

    /// Pulls through hulld, progress on stderr.
    static func pull(_ client: DaemonClient, _ reference: ImageReference, platform: String?, flags: RegistryFlags,
                     quiet: Bool) async throws -> ProgressMessage.Result {
        let path = "/v1/images/pull" + query([("name", reference.string), ("platform", platform), ("insecure", insecure(flags))])
        return try await follow(try await client.progress(path, headers: authHeaders(for: reference.domain)), quiet: quiet)
    }
}
