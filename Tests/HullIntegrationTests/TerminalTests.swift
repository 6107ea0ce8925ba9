import Foundation
import Glibc
import Testing

extension Integration {
    /// `hull run -it` driven through a real pseudo-terminal, as a person at a terminal would.
    @Suite("hull run -t with a real terminal", .serialized)
    struct TerminalTests {
        init() throws {
            try HullCLI.requireSetUp()
        }

        @Test("echo, window size and resize, Ctrl-C, exit status")
        func interactiveShell() throws {
            try PseudoTerminal.expectShellSession(["run", "--rm", "-it", "busybox", "sh"])
        }
    }
}

/// A pty pair: the test holds the controlling side, hull gets the terminal side.
final class PseudoTerminal {
    let controller: Int32
    let child: FileHandle
    private var seen = ""

    init(rows: UInt16, columns: UInt16) throws {
        // posix_openpt/grantpt/unlockpt are not exported by Swift's Glibc module; this is
        // what they do on Linux. TIOCSPTLCK and TIOCGPTN are _IOW/_IOR macros Swift
        // cannot import, hence the numbers (asm-generic/ioctls.h).
        controller = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard controller >= 0, ioctl(controller, 0x4004_5431, &unlock) == 0,
              ioctl(controller, 0x8004_5430, &number) == 0 else {
            throw POSIXError(.EIO)
        }
        let fd = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        child = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        resize(rows: rows, columns: columns)
    }

    deinit { close(controller) }

    /// Starts the hull binary with this terminal as its stdin, stdout and stderr.
    func runHull(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = HullCLI.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardInput = child
        process.standardOutput = child
        process.standardError = child
        try process.run()
        return process
    }

    func resize(rows: UInt16, columns: UInt16) {
        var ws = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(child.fileDescriptor, UInt(TIOCSWINSZ), &ws)
    }

    func send(_ text: String) {
        _ = text.withCString { write(controller, $0, strlen($0)) }
    }

    /// Reads until `text` appears after what earlier calls consumed; returns what it consumed.
    @discardableResult
    func expect(_ text: String, within seconds: Double = 20) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            if let range = seen.range(of: text) {
                let consumed = String(seen[..<range.upperBound])
                seen = String(seen[range.upperBound...])
                return consumed
            }
            var pfd = pollfd(fd: controller, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 200) > 0 {
                let n = read(controller, &buffer, buffer.count)
                if n <= 0 { break }
                seen += String(decoding: buffer[0..<n], as: UTF8.self)
            }
        }
        throw TerminalExpectation(wanted: text, screen: seen)
    }

    /// `hull ARGUMENTS` (a shell with -it) on a 30x100 pty: the prompt, input answered, the
    /// size inside, a resize to 40x120 reaching it, Ctrl-C to its foreground command, and
    /// the exit status of `exit 5`.
    static func expectShellSession(_ arguments: [String]) throws {
        let pty = try PseudoTerminal(rows: 30, columns: 100)
        let process = try pty.runHull(arguments)
        defer { if process.isRunning { process.terminate() } }
        try pty.expect("# ", within: 60)
        pty.send("echo $((6*7))\r")
        try pty.expect("42")
        pty.send("stty size\r")
        try pty.expect("30 100")
        pty.resize(rows: 40, columns: 120)
        kill(process.processIdentifier, SIGWINCH)
        try pty.ask("stty size", until: "40 120")
        try pty.interruptForeground()
        pty.send("exit 5\r")
        process.waitUntilExit()
        #expect(process.terminationStatus == 5, "\(arguments)")
    }

    /// Runs `command` in the shell until its output shows `text`: for effects that travel
    /// asynchronously (a window size goes SIGWINCH → hull → the container's terminal). Each
    /// try waits for the command to finish first, so nothing is typed ahead.
    func ask(_ command: String, until text: String, tries: Int = 20) throws {
        for attempt in 1...tries {
            send("\(command); echo as$((\(attempt)))ked\r")
            if try expect("as\(attempt)ked").contains(text) { return }
            Thread.sleep(forTimeInterval: 0.5)
        }
        throw TerminalExpectation(wanted: text, screen: seen)
    }

    /// Ctrl-C to a command the shell runs in the foreground, sent only once that command
    /// is seen answering input (ash edits its own lines with ECHO and ISIG off, so a ^C it
    /// reads itself is neither echoed nor a signal): the kernel's echo of ^C, and the exit
    /// status 130 (128 + SIGINT) of the interrupted command. The answer is computed by the
    /// shell so that the echo of the typed line cannot match it.
    func interruptForeground() throws {
        send("sed \"s/ping/P$((1+1))NG/\"\r")
        try expect("NG/\"")  // the shell's echo of the line: it has read it
        for attempt in 1...20 {
            send("ping\r")
            do { try expect("P2NG", within: 3); break } catch where attempt < 20 { continue }
        }
        send("\u{03}")
        try expect("^C")
        try expect("# ")  // the prompt again: input typed before it may be discarded
        send("echo st$((0))atus:$?\r")
        try expect("st0atus:130")
    }

    struct TerminalExpectation: Error, CustomStringConvertible {
        var wanted: String
        var screen: String
        var description: String { "terminal never showed \(wanted.debugDescription); it showed: \(screen.debugDescription)" }
    }
}
