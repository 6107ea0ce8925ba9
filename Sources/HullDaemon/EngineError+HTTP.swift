import HullEngine

/// Hull's API face: each engine error code as one HTTP status (docs/openapi.yaml).
extension EngineError {
    var httpStatus: Int {
        switch code {
        case .notFound: 404
        case .conflict: 409
        case .invalid: 400
        case .tooLarge: 413
        case .failed: 500
        case .unsupported: 501
        }
    }
}
