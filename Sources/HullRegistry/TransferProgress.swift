import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What pull and push show while blobs move. On a terminal: one line per blob, redrawn
/// in place at most ten times a second (`a1b2c3d4e5f6: Downloading  12.3MB/40.1MB`). Otherwise
/// plain lines, one when a blob starts and one when it is done, so logs stay readable.
/// hulld makes one with an `observer` instead: every change goes to it (bytes at most ten
/// times a second per blob), to be streamed to clients that draw it with their own.
public final class TransferProgress: @unchecked Sendable {
    /// A change, as an observer sees it.
    public enum Event: Sendable, Equatable {
        case message(String)
        case status(id: String, status: String, total: Int64?)
        case bytes(id: String, status: String, done: Int64, total: Int64?)
    }

    private let lock = NSLock()
    private let fd: Int32
    private let live: Bool
    private let observer: (@Sendable (Event) -> Void)?
    private var lastBytes: [String: ContinuousClock.Instant] = [:]
    private var rows: [Row] = []
    private var drawnRows = 0
    private var lastDraw = ContinuousClock.now - .seconds(1)

    private struct Row {
        var id: String
        var status: String
        var done: Int64
        var total: Int64?
    }

    /// `fd` 2 (stderr) by default, so a command's own stdout stays clean; `quiet` shows nothing.
    public init(fd: Int32 = 2, quiet: Bool = false, live: Bool? = nil) {
        self.fd = quiet ? -1 : fd
        self.live = !quiet && (live ?? (isatty(fd) == 1))
        observer = nil
    }

    /// Draws nothing; hands every change to `observer`.
    public init(observer: @escaping @Sendable (Event) -> Void) {
        fd = -1
        live = false
        self.observer = observer
    }

    public func message(_ text: String) {
        observer?(.message(text))
        lock.withLock { emit(text + "\n") }
    }

    /// A blob's line appears (or changes status): "Waiting", "Already exists"…
    public func set(_ id: String, _ status: String, total: Int64? = nil) {
        observer?(.status(id: id, status: status, total: total))
        lock.withLock {
            if let i = rows.firstIndex(where: { $0.id == id }) {
                rows[i].status = status
                if let total { rows[i].total = total }
            } else {
                rows.append(Row(id: id, status: status, done: 0, total: total))
            }
            if live { redraw(force: true) } else if status != "Waiting" { emit("\(id): \(status)\(total.map { " " + Self.size($0) } ?? "")\n") }
        }
    }

    /// Bytes so far of a blob in transfer (shown on a terminal only).
    public func bytes(_ id: String, _ done: Int64) {
        if let observer {
            let event = lock.withLock { () -> Event? in
                let now = ContinuousClock.now
                guard let row = rows.first(where: { $0.id == id }),
                      lastBytes[id].map({ now - $0 >= .milliseconds(100) }) ?? true else { return nil }
                lastBytes[id] = now
                return .bytes(id: id, status: row.status, done: done, total: row.total)
            }
            if let event { observer(event) }
        }
        guard live else { return }
        lock.withLock {
            guard let i = rows.firstIndex(where: { $0.id == id }) else { return }
            rows[i].done = done
            redraw(force: false)
        }
    }

    private func redraw(force: Bool) {
        let now = ContinuousClock.now
        guard force || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        var text = drawnRows > 0 ? "\u{1B}[\(drawnRows)A" : ""
        for row in rows {
            var line = "\(row.id): \(row.status)"
            if let total = row.total, row.status == "Downloading" || row.status == "Pushing" {
                line += "  \(Self.size(row.done))/\(Self.size(total))"
            }
            text += "\r\u{1B}[2K" + line + "\n"
        }
        drawnRows = rows.count
        emit(text)
    }

    private func emit(_ text: String) {
        guard fd >= 0 else { return }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            offset += n
        }
    }

    /// Docker's SI sizes: "1.09MB".
    static func size(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes)B" : String(format: "%.3g", value) + units[unit]
    }
}
