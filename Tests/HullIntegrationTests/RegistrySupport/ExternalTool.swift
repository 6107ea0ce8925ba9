import Foundation
import Glibc

/// Runs a host tool (skopeo, umoci, openssl, htpasswd…) for a test; a failure throws
/// with the tool's own message, a missing tool says what to install.
enum ExternalTool {
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws -> String {
        try require(tool)
        let p = Process()
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try p.run()
        if let stdin {
            try? input.fileHandleForWriting.write(contentsOf: stdin)
            try? input.fileHandleForWriting.close()
        }
        let errBox = DataBox()
        let reader = Thread { errBox.data = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !errBox.done { usleep(1000) }
        guard p.terminationStatus == 0 else {
            throw HullCLI.SetupMissing(what: ["\(tool) \(arguments.joined(separator: " ")) failed: \(String(decoding: errBox.data, as: UTF8.self))"])
        }
        return String(decoding: output, as: UTF8.self)
    }

    static let packages = ["docker-registry": "docker-registry", "skopeo": "skopeo", "umoci": "umoci", "openssl": "openssl",
                           "htpasswd": "apache2-utils", "python3": "python3", "zstd": "zstd"]

    static func require(_ tool: String) throws {
        let found = ["/usr/bin", "/usr/sbin", "/bin", "/usr/local/bin"].contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
        guard found || ["cp", "sh"].contains(tool) else {
            throw HullCLI.SetupMissing(what: ["\(tool) is not installed: apt-get install \(packages[tool] ?? tool) (scripts/setup.sh does)"])
        }
    }
}

private final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = Data()
    private var finished = false
    var data: Data {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue; finished = true } }
    }
    var done: Bool { lock.withLock { finished } }
}

/// A background process a test starts (registry, token server, fault proxy) and stops.
final class TestDaemon: @unchecked Sendable {
    let process = Process()
    let log: URL

    init(_ executable: String, _ arguments: [String], log: URL) throws {
        try ExternalTool.require(URL(fileURLWithPath: executable).lastPathComponent)
        self.log = log
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
    }

    /// Starts with stdout and stderr into the log.
    func start() throws {
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    /// Starts and returns the first line the program prints on stdout (a port number).
    func startReadingPort() throws -> Int {
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            stop()
            throw HullCLI.SetupMissing(what: ["\(process.executableURL!.path) did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")"])
        }
        return port
    }

    /// SIGKILL: a child inherits the test runner's blocked signal mask, in which SIGTERM
    /// is blocked; Go programs unblock it, Python does not.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Whether something accepts TCP connections on 127.0.0.1:port.
func tcpAccepts(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// A port nothing listens on now (the kernel's choice for a socket bound to port 0).
func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// fault_proxy.py in front of a test registry: logs every request, injects the faults its
/// mode file names (see the script).
final class FaultProxy {
    let daemon: TestDaemon
    let log: URL
    let modeFile: URL
    /// HOST:PORT of the proxy.
    let host: String

    init(upstream: String, in work: URL) throws {
        log = work.appendingPathComponent("proxy.log")
        modeFile = work.appendingPathComponent("proxy.mode")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fault_proxy.py")
        daemon = try TestDaemon("/usr/bin/python3", [script.path, upstream, log.path, modeFile.path],
                                log: work.appendingPathComponent("proxy.out"))
        host = "127.0.0.1:\(try daemon.startReadingPort())"
    }

    func setMode(_ text: String) throws { try Data(text.utf8).write(to: modeFile) }

    /// Every request so far, one "METHOD PATH RANGE" line each.
    func requests() throws -> [Substring] { try String(contentsOf: log, encoding: .utf8).split(separator: "\n") }

    func stop() { daemon.stop() }
}
