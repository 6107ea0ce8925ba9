import Foundation

/// What talking to a registry can go wrong with, each as one line naming the registry and
/// the repository and saying what to do.
public enum RegistryError: Error, CustomStringConvertible, Sendable {
    /// An HTTP answer that is not what the request needed. `detail` is the registry's own
    /// error text (from its JSON error body) when it gave one.
    case status(Int, registry: String, repository: String?, what: String, detail: String?)
    case unreachable(registry: String, detail: String)
    case untrustedCertificate(registry: String, detail: String, caPaths: [String])
    case tooLarge(registry: String, what: String, limit: Int)
    case digestMismatch(registry: String, what: String, expected: String, actual: String)
    case sizeMismatch(registry: String, what: String, expected: Int64, actual: Int64)
    case badAnswer(registry: String, what: String, detail: String)
    case gaveUp(registry: String, repository: String, what: String, attempts: Int, last: String)
    case credentialsFile(String, String)
    case loginFailed(registry: String, detail: String)
    case notAuthenticated(registry: String)

    public var description: String {
        switch self {
        case .status(let code, let registry, let repository, let what, let detail):
            let place = repository.map { "\(registry)/\($0)" } ?? registry
            let said = detail.map { " (registry says: \($0))" } ?? ""
            switch code {
            case 401:
                return "\(what) from \(place): authentication required or credentials rejected (401)\(said); run `hull login \(registry)`"
            case 403:
                return "\(what) from \(place): access denied (403)\(said); the account lacks permission for this repository"
            case 404:
                return "\(what) from \(place): not found (404)\(said); check the repository name and tag"
            case 429:
                return "\(what) from \(place): too many requests (429)\(said); the registry is rate limiting, try again later"
            case 500...599:
                return "\(what) from \(place): the registry failed (\(code))\(said); try again later"
            default:
                return "\(what) from \(place): unexpected HTTP status \(code)\(said)"
            }
        case .unreachable(let registry, let detail):
            return "cannot reach registry \(registry): \(detail)"
        case .untrustedCertificate(let registry, let detail, let caPaths):
            return "registry \(registry): TLS certificate not trusted (\(detail)); put its CA certificate in \(caPaths.joined(separator: " or ")), or use --insecure-registry \(registry)"
        case .tooLarge(let registry, let what, let limit):
            return "\(what) from \(registry) is larger than \(limit / 1024) KiB; refusing it"
        case .digestMismatch(let registry, let what, let expected, let actual):
            return "\(what) from \(registry) does not match its digest: expected \(expected), content is \(actual); rejected, nothing was stored"
        case .sizeMismatch(let registry, let what, let expected, let actual):
            return "\(what) from \(registry) has \(actual) bytes, expected \(expected); rejected, nothing was stored"
        case .badAnswer(let registry, let what, let detail):
            return "\(what) from \(registry): \(detail)"
        case .gaveUp(let registry, let repository, let what, let attempts, let last):
            return "\(what) from \(registry)/\(repository) failed after \(attempts) attempts: \(last); nothing was stored"
        case .credentialsFile(let path, let why):
            return "credentials file \(path): \(why)"
        case .loginFailed(let registry, let detail):
            return "login to \(registry) failed: \(detail)"
        case .notAuthenticated(let registry):
            return "registry \(registry) asked for credentials that were not accepted; run `hull login \(registry)`"
        }
    }

    /// Worth another try: the registry or the network may recover.
    var isTransient: Bool {
        switch self {
        case .status(let code, _, _, _, _): code == 429 || code == 408 || (500...599).contains(code)
        case .unreachable: true
        default: false
        }
    }
}
