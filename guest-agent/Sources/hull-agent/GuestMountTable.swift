/// The agent's own mounts, from /proc/self/mountinfo: what a container's child detaches
/// from its mount namespace so that nothing of the guest stays reachable from it.
enum GuestMountTable {
    /// Every mount point except /, latest first (mounts on top of or below earlier ones
    /// come later in mountinfo). A point listed twice is unmounted twice.
    static func mountPointsToDetach() -> [String] {
        guard let bytes = FileIO.readFile("/proc/self/mountinfo") else {
            Log.info("reading /proc/self/mountinfo failed; the container's namespace keeps the guest's mounts")
            return []
        }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            // id parent major:minor root mount-point options ...
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = unescape(fields[4])
            return point == "/" ? nil : point
        }.reversed()
    }

    /// mountinfo writes space, tab, newline and backslash as \ooo.
    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var i = 0
        while i < raw.count {
            if raw[i] == UInt8(ascii: "\\"), i + 3 < raw.count,
               let value = UInt8(String(decoding: raw[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(raw[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
