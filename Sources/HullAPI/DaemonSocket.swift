import Foundation

/// Where hulld listens: `$HULL_SOCKET`, else /run/hull/hulld.sock.
public enum DaemonSocket {
    public static let defaultPath = "/run/hull/hulld.sock"
    public static let environmentVariable = "HULL_SOCKET"

    public static var path: String {
        ProcessInfo.processInfo.environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? defaultPath
    }
}
