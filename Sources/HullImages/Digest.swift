import Crypto
import Foundation

/// A content digest, `sha256:<64 lowercase hex>`. Only sha256 is accepted: it is what
/// every image tool writes, and refusing the rest keeps `blobs/<algorithm>/` to one folder.
public struct Digest: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let hex: String

    public static let algorithm = "sha256"

    public init(parsing text: String) throws(ImageError) {
        guard let colon = text.firstIndex(of: ":") else { throw .malformedDigest(text) }
        let algorithm = text[..<colon]
        let encoded = text[text.index(after: colon)...]
        guard algorithm == Self.algorithm else {
            if algorithm.isEmpty || !algorithm.allSatisfy({ $0.isLetter || $0.isNumber || "+._-".contains($0) }) {
                throw .malformedDigest(text)
            }
            throw .unsupportedDigest(text)
        }
        guard let hex = Self.validHex(encoded) else { throw .malformedDigest(text) }
        self.hex = hex
    }

    /// From the 64 hex characters alone (a blob's file name).
    public init?(hex: some StringProtocol) {
        guard let valid = Self.validHex(hex) else { return nil }
        self.hex = valid
    }

    private static func validHex(_ text: some StringProtocol) -> String? {
        guard text.utf8.count == 64, text.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            return nil
        }
        return String(text)
    }

    public var string: String { "\(Self.algorithm):\(hex)" }
    public var description: String { string }
    /// The 12 characters `hull image ls` shows, as Docker does.
    public var short: String { String(hex.prefix(12)) }

    public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

    public static func sha256(_ data: some DataProtocol) -> Digest {
        var hasher = DigestHasher()
        hasher.update(data)
        return hasher.finalize()
    }

    /// Hashes a file without reading it into memory; returns the digest and the byte count.
    public static func sha256(fileAt url: URL) throws -> (digest: Digest, size: Int64) {
        let input = try RawFile.open(url, flags: O_RDONLY)
        defer { input.close() }
        var hasher = DigestHasher()
        try input.forEachChunk { hasher.update($0) }
        return (hasher.finalize(), hasher.count)
    }
}

extension Digest: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(string)
    }
}

/// Incremental sha256 over data arriving in pieces (a file read in chunks, a pipe).
public struct DigestHasher {
    private var hasher = SHA256()
    public private(set) var count: Int64 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
        count += Int64(bytes.count)
    }

    public mutating func update(_ data: some DataProtocol) {
        for region in data.regions {
            region.withUnsafeBytes { update($0) }
        }
    }

    public func finalize() -> Digest {
        let table = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in hasher.finalize() {
            hex.append(table[Int(byte >> 4)])
            hex.append(table[Int(byte & 0x0f)])
        }
        return Digest(hex: String(decoding: hex, as: UTF8.self))!
    }
}
