import HullAPI

/// Errors an API call answers with: each maps to one HTTP status and a message for people.
enum DaemonError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case conflict(String)
    case badRequest(String)
    case tooLarge(String)
    case failed(String)
    /// What this container's isolation mode cannot do.
    case notImplemented(String)

    static func noSuchContainer(_ reference: String) -> DaemonError {
        .notFound("no such container: \(reference)")
    }

    var status: Int {
        switch self {
        case .notFound: 404
        case .conflict: 409
        case .badRequest: 400
        case .tooLarge: 413
        case .failed: 500
        case .notImplemented: 501
        }
    }

    var description: String {
        switch self {
        case .notFound(let m), .conflict(let m), .badRequest(let m), .tooLarge(let m), .failed(let m), .notImplemented(let m): m
        }
    }
}
