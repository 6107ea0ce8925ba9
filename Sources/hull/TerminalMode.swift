import Glibc
import HullProtocol

/// Puts the host terminal in raw mode for `-t` and restores it afterwards.
final class TerminalMode: @unchecked Sendable {
    // Only touched from the main task: set once in enterRaw, read in restore.
    private let fd: Int32
    private var saved = termios()
    private var isRaw = false

    init(fd: Int32) {
        self.fd = fd
    }

    func windowSize() -> WindowSize? {
        var ws = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0 else { return nil }
        return WindowSize(rows: ws.ws_row, columns: ws.ws_col)
    }

    func enterRaw() {
        guard tcgetattr(fd, &saved) == 0 else { return }
        var raw = saved
        cfmakeraw(&raw)
        if tcsetattr(fd, TCSANOW, &raw) == 0 { isRaw = true }
    }

    func restore() {
        guard isRaw else { return }
        tcsetattr(fd, TCSANOW, &saved)
        isRaw = false
    }
}
