/// One challenge of a `WWW-Authenticate` header (RFC 7235): a scheme and its parameters,
/// e.g. `Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"`.
/// A header may carry several challenges, separated by commas like the parameters are.
public struct AuthChallenge: Sendable, Equatable {
    /// Lowercased: `bearer`, `basic`.
    public var scheme: String
    /// Parameter names lowercased; values unquoted.
    public var parameters: [String: String]

    public init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    public var realm: String? { parameters["realm"] }

    /// Longest header parsed; longer ones (never sent by a real registry) give no challenge.
    static let headerLimit = 8192

    /// Every challenge in the header, in order; malformed parts end the parse.
    public static func parse(_ header: String) -> [AuthChallenge] {
        guard header.utf8.count <= headerLimit else { return [] }
        var scanner = Scanner(Array(header.utf8))
        var challenges: [AuthChallenge] = []
        while true {
            scanner.skip { $0 == .space || $0 == .tab || $0 == .comma }
            guard let scheme = scanner.token() else { break }
            var challenge = AuthChallenge(scheme: scheme.lowercased(), parameters: [:])
            scanner.skip { $0 == .space || $0 == .tab }
            // Parameters follow until the next word that is not followed by "=".
            while scanner.startsParameter() {
                guard let name = scanner.token() else { break }
                scanner.skip { $0 == .space || $0 == .tab }
                guard scanner.consume(.equals) else { break }
                scanner.skip { $0 == .space || $0 == .tab }
                guard let value = scanner.quoted() ?? scanner.token() else { break }
                challenge.parameters[name.lowercased()] = value
                scanner.skip { $0 == .space || $0 == .tab }
                guard scanner.consume(.comma) else { break }
                scanner.skip { $0 == .space || $0 == .tab || $0 == .comma }
            }
            challenges.append(challenge)
            if scanner.atEnd { break }
        }
        return challenges
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { i >= bytes.count }

        mutating func skip(_ predicate: (UInt8) -> Bool) {
            while i < bytes.count, predicate(bytes[i]) { i += 1 }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
            return true
        }

        /// RFC 7230 tchar run (token68 characters too: "/" "+" and trailing "=" are not
        /// needed by registries and are left out).
        mutating func token() -> String? {
            let start = i
            while i < bytes.count, Self.isTokenChar(bytes[i]) { i += 1 }
            return i > start ? String(decoding: bytes[start..<i], as: UTF8.self) : nil
        }

        mutating func quoted() -> String? {
            guard consume(.quote) else { return nil }
            var value: [UInt8] = []
            while i < bytes.count {
                let c = bytes[i]
                i += 1
                if c == .quote { return String(decoding: value, as: UTF8.self) }
                if c == .backslash, i < bytes.count {
                    value.append(bytes[i])
                    i += 1
                } else {
                    value.append(c)
                }
            }
            return nil   // unterminated
        }

        /// Whether a `name=` comes next (rather than the next challenge's scheme).
        func startsParameter() -> Bool {
            var j = i
            while j < bytes.count, Self.isTokenChar(bytes[j]) { j += 1 }
            guard j > i else { return false }
            while j < bytes.count, bytes[j] == .space || bytes[j] == .tab { j += 1 }
            return j < bytes.count && bytes[j] == .equals
        }

        static func isTokenChar(_ c: UInt8) -> Bool {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                Array("!#$%&'*+-.^_`|~".utf8).contains(c)
            }
        }
    }
}

private extension UInt8 {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let comma = UInt8(ascii: ",")
    static let equals = UInt8(ascii: "=")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
}
