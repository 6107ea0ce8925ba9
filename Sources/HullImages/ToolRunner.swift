import Foundation

/// Runs the host tools the image store leans on (umoci, tar, gzip, mkfs.ext4, qemu-img)
/// and turns a failure into an error carrying the tool's own message.
enum ToolRunner {
    static let packages = [
        "umoci": "umoci", "tar": "tar", "gzip": "gzip", "mkfs.ext4": "e2fsprogs",
        "qemu-img": "qemu-utils", "du": "coreutils", "cp": "coreutils", "zstd": "zstd",
    ]

    /// The tool's path: $PATH first, then the sbin folders a non-login root shell may lack.
    static func locate(_ tool: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        for dir in dirs where !dir.isEmpty {
            let candidate = dir + "/" + tool
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ImageError.toolMissing(tool, package: packages[tool] ?? tool)
    }

    /// Runs `tool` and returns its stdout and stderr together; with `stdout`, standard
    /// output goes to that file instead and only stderr is returned.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], stdout: URL? = nil) throws -> String {
        let process = try makeProcess(tool, arguments)
        let output = Pipe()
        var sink: FileHandle?
        if let stdout {
            guard FileManager.default.createFile(atPath: stdout.path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: stdout.path) else {
                throw ImageError.io("create \(stdout.path)", errno)
            }
            sink = handle
            process.standardOutput = handle
        } else {
            process.standardOutput = output
        }
        process.standardError = output
        try launch(process, tool)
        // Read to EOF before waiting so a chatty tool never blocks on a full pipe.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try sink?.close()
        let text = String(decoding: data, as: UTF8.self)
        try check(process, tool, arguments, text)
        return text
    }

    /// Runs `tool` and hashes its standard output as it streams (e.g. `gzip -dc layer`).
    static func digestOfOutput(_ tool: String, _ arguments: [String]) throws -> (digest: Digest, size: Int64) {
        let process = try makeProcess(tool, arguments)
        let output = Pipe()
        process.standardOutput = output
        // stderr into an unlinked temporary file: a second pipe could fill while stdout is read.
        guard let errorFile = tmpfile() else { throw ImageError.io("tmpfile", errno) }
        defer { fclose(errorFile) }
        process.standardError = FileHandle(fileDescriptor: fileno(errorFile), closeOnDealloc: false)
        try launch(process, tool)
        let reader = RawFile(fd: output.fileHandleForReading.fileDescriptor, path: "\(tool) output")
        var hasher = DigestHasher()
        let readError: (any Error)?
        do {
            try reader.forEachChunk { hasher.update($0) }
            readError = nil
        } catch {
            readError = error
        }
        process.waitUntilExit()
        lseek(fileno(errorFile), 0, SEEK_SET)
        let messages = (try? RawFile(fd: fileno(errorFile), path: "\(tool) stderr").readAll(limit: 1 << 20)) ?? nil
        let text = String(decoding: messages ?? Data(), as: UTF8.self)
        try check(process, tool, arguments, text)
        if let readError { throw readError }
        return (hasher.finalize(), hasher.count)
    }

    private static func makeProcess(_ tool: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try locate(tool))
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        var env = ProcessInfo.processInfo.environment
        env["LC_ALL"] = "C"  // tool messages are matched (tar's "Unexpected EOF")
        process.environment = env
        return process
    }

    private static func launch(_ process: Process, _ tool: String) throws {
        do {
            try process.run()
        } catch {
            throw ImageError.toolFailed(tool, status: -1, output: "\(error)")
        }
    }

    private static func check(_ process: Process, _ tool: String, _ arguments: [String], _ output: String) throws {
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw ImageError.toolFailed(([tool] + arguments).joined(separator: " "),
                                        status: process.terminationStatus, output: output)
        }
    }
}
