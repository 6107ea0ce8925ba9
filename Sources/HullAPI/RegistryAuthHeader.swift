import Foundation

/// Registry credentials a client sends with a pull or push (`X-Registry-Auth`, Docker's
/// header: base64url of JSON). hulld uses them for that call only and never stores them.
public struct RegistryAuthHeader: Codable, Sendable, Equatable {
    public static let name = "X-Registry-Auth"
    public var username: String
    public var password: String
    public var serveraddress: String?

    public init(username: String, password: String, serveraddress: String?) {
        self.username = username
        self.password = password
        self.serveraddress = serveraddress
    }

    public var encoded: String {
        let json = (try? JSONEncoder().encode(self)) ?? Data()
        return json.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// nil for an empty header or `{}` (no credentials, as Docker clients send).
    public init?(encoded text: String) throws {
        guard !text.isEmpty, text.utf8.count <= 16 << 10 else {
            if text.isEmpty { return nil }
            throw RegistryAuthError.malformed("longer than 16 KiB")
        }
        var b64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64) else { throw RegistryAuthError.malformed("not base64") }
        struct Loose: Decodable {
            var username: String?
            var password: String?
            var serveraddress: String?
        }
        guard let loose = try? JSONDecoder().decode(Loose.self, from: data) else { throw RegistryAuthError.malformed("not a JSON object") }
        guard let user = loose.username, !user.isEmpty else { return nil }
        self.init(username: user, password: loose.password ?? "", serveraddress: loose.serveraddress)
    }
}

public enum RegistryAuthError: Error, CustomStringConvertible {
    case malformed(String)
    public var description: String {
        switch self {
        case .malformed(let why): "\(RegistryAuthHeader.name) is malformed: \(why)"
        }
    }
}
