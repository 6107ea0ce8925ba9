import Glibc

/// Lines on the guest console (ttyS0 is the agent's stderr); the host shows the console
/// log when a boot fails, so every line says who wrote it.
enum Log {
    static func info(_ message: String) {
        var line = "hull-agent: " + message + "\n"
        line.withUTF8 { _ = FileIO.writeAll(2, UnsafeRawBufferPointer($0)) }
    }
}
