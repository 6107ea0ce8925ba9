import Foundation

/// JSON as Hull reads and writes it: decoding errors name the document and the field;
/// encoding is deterministic (sorted keys) so equal content always gets the same digest.
enum JSONCoding {
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw ImageError.badDocument(what, Self.explain(error))
        } catch {
            throw ImageError.badDocument(what, "\(error)")
        }
    }

    static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func explain(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "" : " at " + keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let c):
            let underlying = (c.underlyingError as NSError?)?.localizedDescription
            return c.codingPath.isEmpty && underlying != nil ? "not valid JSON" : c.debugDescription + path(c.codingPath)
        case .keyNotFound(let key, let c): return "missing field \(key.stringValue)\(path(c.codingPath))"
        case .typeMismatch(let t, let c): return "expected \(t)\(path(c.codingPath))"
        case .valueNotFound(let t, let c): return "missing \(t)\(path(c.codingPath))"
        @unknown default: return "\(error)"
        }
    }
}
