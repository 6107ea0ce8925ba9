import CAgentSupport
import Glibc

/// Loads the kernel modules the initramfs carries (virtio transport, console, block,
/// vsock, rng) in the dependency order its builder wrote to /lib/modules/load-order.
enum ModuleLoader {
    static let directory = "/lib/modules"

    static func loadAll() {
        guard let list = FileIO.readFile("\(directory)/load-order") else {
            Log.info("no \(directory)/load-order; loading no modules")
            return
        }
        let started = ContinuousClock.now
        var loaded = 0
        for line in String(decoding: list, as: UTF8.self).split(separator: "\n") {
            let name = line.trimmingWhitespace()
            if name.isEmpty || name.hasPrefix("#") { continue }
            if load("\(directory)/\(name)") { loaded += 1 }
        }
        Log.info("loaded \(loaded) modules in \(ContinuousClock.now - started)")
    }

    /// finit_module; "already loaded" (built in, or a dependency loaded it) is success.
    private static func load(_ path: String) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            Log.info("\(SystemError("open \(path)"))")
            return false
        }
        defer { close(fd) }
        if hull_finit_module(fd) != 0 && errno != EEXIST {
            Log.info("\(SystemError("loading \(path)"))")
            return false
        }
        return true
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
