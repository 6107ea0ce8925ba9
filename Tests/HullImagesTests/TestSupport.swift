import Foundation
@testable import HullImages
#if canImport(Glibc)
import Glibc
#endif

/// A folder under /tmp that goes away with the value.
final class TempDir: @unchecked Sendable {
    let url: URL

    init(_ label: String = "hull-images-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { TempArea.removeTree(url) }

    func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }
}

enum Shell {
    /// Runs a bash script (set -euo pipefail) and returns stdout+stderr; throws on failure.
    @discardableResult
    static func run(_ script: String, in dir: URL? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "set -euo pipefail\n" + script]
        if let dir { process.currentDirectoryURL = dir }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw ShellError(script: script, status: process.terminationStatus, output: text)
        }
        return text
    }

    static func has(_ tool: String) -> Bool {
        (try? run("command -v \(tool)")) != nil
    }
}

struct ShellError: Error, CustomStringConvertible {
    var script: String
    var status: Int32
    var output: String
    var description: String { "script failed (\(status)):\n\(script)\n--- output ---\n\(output)" }
}

enum Tools {
    static let imageTools = Shell.has("umoci") && Shell.has("skopeo")
    static let diskTools = Shell.has("mkfs.ext4") && Shell.has("qemu-img") && Shell.has("debugfs")
    static let root = geteuid() == 0
}

/// One line per entry of a tree: path, type, mode, owner, and size and content for files,
/// target for links, link count for hard links, xattrs. Times are left out.
enum TreeListing {
    static func list(_ root: URL) throws -> [String] {
        var lines: [String] = []
        let walker = FileManager.default.enumerator(atPath: root.path)!
        while let relative = walker.nextObject() as? String {
            let full = root.appendingPathComponent(relative).path
            var st = stat()
            guard lstat(full, &st) == 0 else { continue }
            let mode = String(st.st_mode & 0o7777, radix: 8)
            var line = "\(relative) "
            switch st.st_mode & S_IFMT {
            case S_IFDIR: line += "dir \(mode) \(st.st_uid):\(st.st_gid)"
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: full)) ?? "?"
                line += "link \(st.st_uid):\(st.st_gid) -> \(target)"
            case S_IFREG:
                let content = (try? String(contentsOfFile: full, encoding: .utf8))?.replacingOccurrences(of: "\n", with: "\\n") ?? "?"
                line += "file \(mode) \(st.st_uid):\(st.st_gid) \"\(content)\""
                if st.st_nlink > 1 { line += " nlink=\(st.st_nlink)" }
            default: line += "other \(mode)"
            }
            let xattrs = listXattrs(full)
            if !xattrs.isEmpty { line += " xattrs=" + xattrs.joined(separator: ",") }
            lines.append(line)
        }
        return lines.sorted()
    }

    // Glibc's module map leaves out <sys/xattr.h>; the functions are in libc all the same.
    typealias ListXattr = @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<CChar>?, Int) -> Int
    typealias GetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
    static let llistxattr = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "llistxattr"), to: ListXattr.self)
    static let lgetxattr = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "lgetxattr"), to: GetXattr.self)

    static func listXattrs(_ path: String) -> [String] {
        var names = [CChar](repeating: 0, count: 4096)
        let n = llistxattr(path, &names, names.count)
        guard n > 0 else { return [] }
        let all = names[0..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return all.sorted().map { name in
            var value = [UInt8](repeating: 0, count: 1024)
            let m = lgetxattr(path, name, &value, value.count)
            return "\(name)=\(m > 0 ? String(decoding: value[0..<m], as: UTF8.self) : "")"
        }
    }
}

/// A snapshot of what a store holds on disk, to show that a failed load changed nothing.
struct StoreSnapshot: Equatable {
    var index: Data?
    var blobs: [Digest]
    var temp: [String]
    var disks: [String]

    init(_ store: ImageStore) {
        index = try? Data(contentsOf: store.layout.appendingPathComponent("index.json"))
        blobs = store.blobs.all()
        temp = ((try? FileManager.default.contentsOfDirectory(atPath: store.temp.root.path)) ?? []).sorted()
        disks = ((try? FileManager.default.contentsOfDirectory(atPath: store.disks.directory.path)) ?? [])
            .filter { !$0.hasSuffix(".lock") }.sorted()
    }
}

extension ImageStore {
    /// Blobs present that no index entry leads to: must always be none.
    func unreferencedBlobs() throws -> [Digest] {
        let index = try readIndex()
        let live = ImageGC(blobs: blobs, caches: [disks]).reachable(from: index).blobs
        return blobs.all().filter { !live.contains($0) }
    }
}
