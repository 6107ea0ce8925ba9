import Glibc

/// Signal names as `docker kill -s` takes them: KILL, SIGKILL, 9.
package enum SignalName {
    static let table: [String: Int32] = [
        "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ILL": SIGILL, "TRAP": SIGTRAP, "ABRT": SIGABRT,
        "BUS": SIGBUS, "FPE": SIGFPE, "KILL": SIGKILL, "USR1": SIGUSR1, "SEGV": SIGSEGV, "USR2": SIGUSR2,
        "PIPE": SIGPIPE, "ALRM": SIGALRM, "TERM": SIGTERM, "CHLD": SIGCHLD, "CONT": SIGCONT, "STOP": SIGSTOP,
        "TSTP": SIGTSTP, "TTIN": SIGTTIN, "TTOU": SIGTTOU, "URG": SIGURG, "XCPU": SIGXCPU, "XFSZ": SIGXFSZ,
        "VTALRM": SIGVTALRM, "PROF": SIGPROF, "WINCH": SIGWINCH, "IO": SIGIO, "PWR": SIGPWR, "SYS": SIGSYS,
    ]

    /// A number 1-64 (digits only, no leading zero) or a name, optionally with SIG, all in
    /// upper or all in lower case — exactly what docs/openapi.yaml's `signal` pattern admits
    /// (`pattern` below; a test holds the two together).
    package static func parse(_ text: String) throws -> Int32 {
        // ASCII only: Unicode case mapping and equivalence would let "kıll" or "\u{212A}ILL"
        // through, which the document's pattern refuses.
        guard text.utf8.allSatisfy({ $0 < 0x80 && (isalnum(Int32($0)) != 0) }) else {
            throw EngineError.invalid("unknown signal \"\(text)\": use a name like TERM or SIGTERM, or a number 1-64")
        }
        if let first = text.first, first != "0", text.count <= 2, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber),
           let n = Int32(text), (1...64).contains(n) {
            return n
        }
        var name = text.uppercased()
        let oneCase = text == name || text == text.lowercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        guard oneCase, let n = table[name] else {
            throw EngineError.invalid("unknown signal \"\(text)\": use a name like TERM or SIGTERM, or a number 1-64")
        }
        return n
    }

    /// The `signal` parameter's pattern in docs/openapi.yaml.
    static var pattern: String {
        let names = table.keys.sorted()
        let upper = names.joined(separator: "|"), lower = names.map { $0.lowercased() }.joined(separator: "|")
        return "^([1-9]|[1-5][0-9]|6[0-4]|(SIG)?(\(upper))|(sig)?(\(lower)))$"
    }
}
