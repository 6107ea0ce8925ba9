import Glibc

/// A failed system call: what was attempted and the errno it ended with.
struct SystemError: Error, CustomStringConvertible {
    let operation: String
    let code: Int32

    init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    var description: String { "\(operation): \(SystemError.message(for: code))" }

    static func message(for code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// A failure the agent reports in words (to the host in a response, or on the console).
struct AgentError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
