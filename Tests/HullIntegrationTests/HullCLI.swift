import Foundation
import Glibc
import HullLibvirt
import HullRuntime

/// Runs the real `hull` binary built beside the tests, the way a user does.
enum HullCLI {
    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var out: String { String(decoding: stdout, as: UTF8.self) }
        var err: String { String(decoding: stderr, as: UTF8.self) }
    }

    static var binary: URL {
        if let env = ProcessInfo.processInfo.environment["HULL_BIN"] { return URL(fileURLWithPath: env) }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("hull")
    }

    /// No test may hang CI: a hull that outlives this is killed and the test fails on its status.
    static let timeoutSeconds = 240.0

    static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        let group = DispatchGroup()
        let box = OutputBox()
        for (pipe, isOut) in [(out, true), (err, false)] {
            group.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                box.set(data, stdout: isOut)
                group.leave()
            }
        }
        if let stdin {
            group.enter()
            DispatchQueue.global().async {
                try? input.fileHandleForWriting.write(contentsOf: stdin)
                try? input.fileHandleForWriting.close()
                group.leave()
            }
        }
        let watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: watchdog)
        process.waitUntilExit()
        watchdog.cancel()
        group.wait()
        return Result(status: process.terminationStatus, stdout: box.out, stderr: box.err)
    }

    /// The guest domains libvirt knows of one HULL_HOME (the tests' own unless told), by
    /// name: another hulld's (other tests', with their own HULL_HOME) are not counted.
    static func hullDomains(_ paths: HullPaths = HullPaths()) throws -> Set<String> {
        let conn = try LibvirtConnection()
        return Set(try conn.listDomains().map(\.name).filter(paths.ownsDomain))
    }

    /// The domain of container `name`'s guest under the tests' HULL_HOME.
    static func domain(_ name: String) -> String { HullPaths().domainName(for: name) }

    static func runDirectories() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: HullPaths().runs.path)) ?? [])
    }

    /// Fails with what to do when the host is not set up, instead of a confusing error later.
    /// Fails with what to install when a mode's tools are missing.
    static func require(_ mode: IsolationMode) throws {
        if let missing = IsolationDrivers.available().first(where: { $0.mode == mode })?.missing {
            throw SetupMissing(what: ["--isolation \(mode.rawValue): \(missing)"])
        }
    }

    static func requireSetUp() throws {
        let report = HostReport.gather()
        let missing = report.checks.filter { $0.status == .missing }
        guard missing.isEmpty else {
            throw SetupMissing(what: missing.map { "\($0.name): \($0.detail) → \($0.remedy ?? "")" })
        }
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw SetupMissing(what: ["hull binary not found at \(binary.path): run `swift build` first"])
        }
    }

    struct SetupMissing: Error, CustomStringConvertible {
        var what: [String]
        var description: String { "host not ready for integration tests (run scripts/setup.sh):\n" + what.joined(separator: "\n") }
    }
}

private final class OutputBox: @unchecked Sendable {
    private let lock = NSLock()
    private var o = Data(), e = Data()
    func set(_ d: Data, stdout: Bool) { lock.lock(); if stdout { o = d } else { e = d }; lock.unlock() }
    var out: Data { lock.lock(); defer { lock.unlock() }; return o }
    var err: Data { lock.lock(); defer { lock.unlock() }; return e }
}

/// sha256 by the host's coreutils: the checksum the tests compare against.
func sha256Hex(_ data: Data) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    let input = Pipe(), output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    try p.run()
    DispatchQueue.global().async {
        try? input.fileHandleForWriting.write(contentsOf: data)
        try? input.fileHandleForWriting.close()
    }
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return String(text.prefix(64))
}

extension HullCLI {
    /// Starts hull, waits until its stdout shows `afterOutput`, sends `signal` to hull
    /// itself (as a user's kill or Ctrl-C would), and collects the result.
    static func runSignalled(_ arguments: [String], signal sig: Int32, afterOutput marker: String) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: watchdog)
        defer { watchdog.cancel() }
        var collected = Data()
        let deadline = Date().addingTimeInterval(60)
        while !String(decoding: collected, as: UTF8.self).contains(marker), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            collected.append(chunk)
        }
        kill(process.processIdentifier, sig)
        collected.append(out.fileHandleForReading.readDataToEndOfFile())
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: collected, stderr: errData)
    }
}
