/// Every error the engine answers with, whichever API face asked: a code (what kind of
/// failure, which each face maps to its own status in one place — Hull's in
/// EngineError+HTTP.swift), a message for people, and the underlying error when there is one.
public struct EngineError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: String, Sendable, Equatable {
        /// No such container, exec, image, volume or path.
        case notFound
        /// Not in this state (running, in use, name taken), or not on this host.
        case conflict
        /// The request breaks a documented rule.
        case invalid
        /// Over a documented size.
        case tooLarge
        /// The engine or a runtime failed.
        case failed
        /// What this container's isolation mode cannot do.
        case unsupported
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }

    public static func == (a: EngineError, b: EngineError) -> Bool { a.code == b.code && a.message == b.message }

    public static func notFound(_ message: String) -> EngineError { EngineError(.notFound, message) }
    public static func conflict(_ message: String) -> EngineError { EngineError(.conflict, message) }
    public static func invalid(_ message: String) -> EngineError { EngineError(.invalid, message) }
    public static func tooLarge(_ message: String) -> EngineError { EngineError(.tooLarge, message) }
    public static func unsupported(_ message: String) -> EngineError { EngineError(.unsupported, message) }
    /// A failure with its cause kept (its description ends the message).
    public static func failed(_ message: String, cause: (any Error)? = nil) -> EngineError {
        EngineError(.failed, message, cause: cause)
    }

    public static func noSuchContainer(_ reference: String) -> EngineError {
        .notFound("no such container: \(reference)")
    }
}
