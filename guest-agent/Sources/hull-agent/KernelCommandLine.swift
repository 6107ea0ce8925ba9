/// The guest kernel's command line, where the host passes the agent its options
/// (`hull.channel=vsock`).
struct KernelCommandLine {
    let arguments: [String]

    static func current() -> KernelCommandLine {
        let text = FileIO.readFile("/proc/cmdline").map { String(decoding: $0, as: UTF8.self) } ?? ""
        return KernelCommandLine(arguments: text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    }

    /// The value of the last `key=value` argument, as the kernel itself treats repeats.
    func value(of key: String) -> String? {
        let prefix = key + "="
        return arguments.last(where: { $0.hasPrefix(prefix) }).map { String($0.dropFirst(prefix.count)) }
    }
}
