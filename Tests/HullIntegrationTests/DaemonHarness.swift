import Foundation
import Glibc
import HullAPI
import HullClient
import HullRuntime
import Testing

/// A real hulld for one test: its own HULL_HOME (guest kernel, initramfs and built-in
/// rootfs linked from the host's), its own socket; stopped, with every container it
/// made removed, when the test ends.
final class DaemonHarness: @unchecked Sendable {
    let home: URL
    let socket: String
    private(set) var process: Process?
    /// Extra hulld flags (`--default-isolation`), for every start.
    let hulldArguments: [String]
    /// Extra environment of hulld (HULL_LIBVIRT_URI), for every start.
    let hulldEnvironment: [String: String]

    static var hulldBinary: URL { HullCLI.binary.deletingLastPathComponent().appendingPathComponent("hulld") }

    init(hulldArguments: [String] = [], hulldEnvironment: [String: String] = [:]) throws {
        try HullCLI.requireSetUp()
        self.hulldArguments = hulldArguments
        self.hulldEnvironment = hulldEnvironment
        home = URL(fileURLWithPath: "/tmp/hull-daemon-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("images"), withIntermediateDirectories: true)
        let real = HullPaths().home
        for link in ["kernel", "guest", "images/busybox"] {
            try FileManager.default.createSymbolicLink(at: home.appendingPathComponent(link),
                                                       withDestinationURL: real.appendingPathComponent(link))
        }
        socket = home.appendingPathComponent("hulld.sock").path
        try start()
    }

    var environment: [String: String] {
        ["HULL_HOME": home.path, "HULL_SOCKET": socket, "HULL_NO_AUTOSTART": "1"]
    }

    var client: DaemonClient { DaemonClient(socketPath: socket) }

    /// The guest domains of this hulld's HULL_HOME, and the one of container `name`.
    func domains() throws -> Set<String> { try HullCLI.hullDomains(HullPaths(home: home)) }
    func domain(_ name: String) -> String { HullPaths(home: home).domainName(for: name) }

    func start() throws {
        let p = Process()
        p.executableURL = Self.hulldBinary
        p.arguments = ["--socket", socket, "--log-level", "debug"] + hulldArguments
        p.environment = ProcessInfo.processInfo.environment.merging(hulldEnvironment.merging(["HULL_HOME": home.path]) { _, new in new }) { _, new in new }
        let log = home.appendingPathComponent("hulld.log")
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(30)
        // Up means answering and its pid file written (hulld writes it just after the
        // socket listens; a kill -9 before that would leave no trace of a crash).
        let pidFile = home.appendingPathComponent("hulld.pid")
        while !DaemonLauncher.isAnswering(socket) || !FileManager.default.fileExists(atPath: pidFile.path) {
            guard p.isRunning, Date() < deadline else {
                throw HarnessError(message: "hulld did not come up: \(logTail)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// SIGKILL, as a crash would.
    func kill9() {
        guard let p = process else { return }
        Glibc.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    /// SIGTERM, as a service manager stops it; waits until it exited.
    func terminate() {
        guard let p = process else { return }
        Glibc.kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        process = nil
    }

    var logTail: String {
        let text = (try? String(contentsOf: home.appendingPathComponent("hulld.log"), encoding: .utf8)) ?? ""
        return String(text.suffix(3000))
    }

    func hull(_ arguments: [String], stdin: Data? = nil) throws -> HullCLI.Result {
        try HullCLI.run(arguments, stdin: stdin, environment: environment)
    }

    /// `hull exec -it CONTAINER sh` on a real pty of 33x101: the shell's prompt, the
    /// terminal's size inside, input answered, and the exit status of `exit 6`.
    func expectInteractiveExec(in container: String) throws {
        let pty = try PseudoTerminal(rows: 33, columns: 101)
        let process = try pty.runHull(["exec", "-it", container, "sh"], environment: environment)
        defer { if process.isRunning { process.terminate() } }
        try pty.expect("# ", within: 60)
        pty.send("stty size; echo $((40+2))\r")
        try pty.expect("33 101")
        try pty.expect("42")
        pty.send("exit 6\r")
        process.waitUntilExit()
        #expect(process.terminationStatus == 6, "exec -it in \(container)")
    }

    /// A hull process left running (logs -f, exec), its output collected in the background.
    func spawn(_ arguments: [String]) throws -> RunningHull {
        try RunningHull(arguments: arguments, environment: environment)
    }

    deinit {
        if process != nil {
            if let list = try? hull(["ps", "-a", "-q", "--no-trunc"]) {
                let ids = list.out.split(separator: "\n").map(String.init)
                if !ids.isEmpty { _ = try? hull(["rm", "-f"] + ids) }
            }
            if let p = process {
                Glibc.kill(p.processIdentifier, SIGTERM)
                p.waitUntilExit()
            }
        }
        try? FileManager.default.removeItem(at: home)
    }

    struct HarnessError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// A hull command running in the background.
final class RunningHull: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var collected = Data()
    private let done = DispatchGroup()

    init(arguments: [String], environment: [String: String]) throws {
        process.executableURL = HullCLI.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        done.enter()
        DispatchQueue.global().async { [self] in
            while true {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                lock.lock()
                collected.append(chunk)
                lock.unlock()
            }
            done.leave()
        }
    }

    var output: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    /// Waits until the output contains `text`.
    func expect(_ text: String, within seconds: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if output.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return output.contains(text)
    }

    /// Waits for the process to end; kills it after `seconds`.
    func finish(within seconds: Double = 60) -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        done.wait()
        return process.terminationStatus
    }
}
