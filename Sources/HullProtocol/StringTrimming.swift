/// Leading and trailing blanks off a line of a text file (/proc, /etc/passwd).
extension StringProtocol {
    // public: the agent and the host both parse such files.
    public var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
