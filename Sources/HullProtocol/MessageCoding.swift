#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// JSON coding of the control messages carried in request, response and event frames.
public enum MessageCoding {
    private struct Envelope<P: Codable>: Codable {
        var method: String
        var params: P?
    }
    private struct MethodOnly: Codable {
        var method: String
    }
    private struct EventEnvelope<P: Codable>: Codable {
        var event: String
        var data: P
    }
    private struct EventNameOnly: Codable {
        var event: String
    }

    public static func encode(_ request: Request) -> [UInt8] {
        switch request {
        case .hello(let p): return json(Envelope(method: request.method, params: p))
        case .start(let p): return json(Envelope(method: request.method, params: p))
        case .signal(let p): return json(Envelope(method: request.method, params: p))
        case .resize(let p): return json(Envelope(method: request.method, params: p))
        case .shutdown: return json(Envelope<Empty>(method: request.method, params: nil))
        case .replay(let p): return json(Envelope(method: request.method, params: p))
        case .cgroupUsage(let p): return json(Envelope(method: request.method, params: p))
        }
    }

    public static func decodeRequest(_ bytes: [UInt8]) throws(ProtocolError) -> Request {
        let method = try decode(MethodOnly.self, bytes).method
        switch method {
        case "hello": return .hello(try params(Hello.self, bytes))
        case "start": return .start(try params(ProcessSpec.self, bytes))
        case "signal": return .signal(try params(SignalRequest.self, bytes))
        case "resize": return .resize(try params(ResizeRequest.self, bytes))
        case "shutdown": return .shutdown
        case "replay": return .replay(try params(ReplayRequest.self, bytes))
        case "cgroupUsage": return .cgroupUsage(try params(CgroupUsageRequest.self, bytes))
        default: throw .malformedMessage("unknown method \(method)")
        }
    }

    public static func encode(_ event: Event) -> [UInt8] {
        switch event {
        case .exit(let s): return json(EventEnvelope(event: "exit", data: s))
        }
    }

    public static func decodeEvent(_ bytes: [UInt8]) throws(ProtocolError) -> Event {
        let name = try decode(EventNameOnly.self, bytes).event
        switch name {
        case "exit": return .exit(try decode(EventEnvelope<ExitStatus>.self, bytes).data)
        default: throw .malformedMessage("unknown event \(name)")
        }
    }

    public static func encode<R>(_ response: Response<R>) -> [UInt8] {
        json(response)
    }

    public static func decodeResponse<R>(_ type: R.Type, _ bytes: [UInt8]) throws(ProtocolError) -> Response<R> {
        try decode(Response<R>.self, bytes)
    }

    private static func params<P: Codable>(_ type: P.Type, _ bytes: [UInt8]) throws(ProtocolError) -> P {
        guard let p = try decode(Envelope<P>.self, bytes).params else {
            throw .malformedMessage("missing params")
        }
        return p
    }

    /// Indented, key-sorted JSON for files people read (config.json).
    public static func prettyJSON<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func json<T: Encodable>(_ value: T) -> [UInt8] {
        // Encoding these plain value types cannot fail.
        Array((try? JSONEncoder().encode(value)) ?? Data())
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws(ProtocolError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw .malformedMessage("\(T.self): \(error)")
        }
    }
}
