import Foundation
import Glibc
import HullLibvirt
import HullProtocol
import Logging

/// The virtio-fs shares of one guest: a virtiofsd per volume (QEMU's, from Debian's
/// qemu-system-common), started by Hull before the guest boots and serving on a socket in
/// the guest's run folder (`<source socket>`; libvirt 9.0 cannot make a share read-only).
/// A read-only volume is served from a read-only bind of its folder in virtiofsd's own
/// mount namespace, so even a compromised guest kernel cannot write to it; the agent also
/// mounts it read-only. virtiofsd exits by itself when QEMU lets go of it.
final class VirtiofsShares: Sendable {
    static let binary = "/usr/lib/qemu/virtiofsd"

    struct Share: Sendable {
        var index: Int
        var folder: String
        var readOnly: Bool
        var socket: URL
        var pid: pid_t
    }

    let shares: [Share]

    private init(shares: [Share]) {
        self.shares = shares
    }

    var filesystems: [FilesystemSpec] {
        shares.map { FilesystemSpec(tag: "hullvol\($0.index)", socketPath: $0.socket.path) }
    }

    /// `hull.volumes=0:ro,1:rw` for the agent (guest-agent GuestVolumes), or nothing.
    var kernelArgs: [String] {
        shares.isEmpty ? [] : ["hull.volumes=" + shares.map { "\($0.index):\($0.readOnly ? "ro" : "rw")" }.joined(separator: ",")]
    }

    /// The volumes the spec's annotations name (OCIBundle.make), as (index, host path, ro).
    static func volumes(in spec: RuntimeSpec) -> [(index: Int, hostPath: String, readOnly: Bool)] {
        var found: [(Int, String, Bool)] = []
        for index in 0..<1000 {
            guard let value = spec.annotations?[RuntimeSpec.volumeAnnotation(index)] else { break }
            let readOnly = value.hasSuffix(":ro")
            found.append((index, String(value.dropLast(3)), readOnly))
        }
        return found
    }

    /// The folder virtiofsd serves for a host path: the path itself, or a file's folder
    /// (the container binds the one file from it).
    static func sharedFolder(for hostPath: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: hostPath, isDirectory: &isDirectory), !isDirectory.boolValue {
            return (hostPath as NSString).deletingLastPathComponent
        }
        return hostPath
    }

    /// Starts a virtiofsd for each volume of `spec` and waits until each listens.
    static func start(for spec: RuntimeSpec, runDirectory: URL, logger: Logger) async throws -> VirtiofsShares {
        let wanted = volumes(in: spec)
        guard !wanted.isEmpty else { return VirtiofsShares(shares: []) }
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw RunError.startFailed("volumes under --isolation vm need \(binary): install the Debian package qemu-system-common (scripts/setup.sh does)")
        }
        var started: [Share] = []
        do {
            for volume in wanted {
                let folder = sharedFolder(for: volume.hostPath)
                let socket = runDirectory.appendingPathComponent("vfs\(volume.index).sock")
                let log = runDirectory.appendingPathComponent("vfs\(volume.index).log")
                try? FileManager.default.removeItem(at: socket)
                var args = ["--socket-path=\(socket.path)", "-o", "source=\(folder)", "-o", "cache=auto", "-o", "sandbox=namespace"]
                if let group = qemuGroupName() { args.insert("--socket-group=\(group)", at: 1) }
                let (path, argv) = volume.readOnly
                    ? ("/usr/bin/unshare", ["--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                                            "dir=$1; shift; mount --bind -o ro \"$dir\" \"$dir\" && exec \"$@\"",
                                            "sh", folder, binary] + args)
                    : (binary, args)
                let logFD = open(log.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
                defer { close(logFD); close(devNull) }
                let pid = try ChildProcess.spawn(path, argv, stdin: devNull, stdout: logFD, stderr: logFD)
                try? "\(pid)\n".write(to: runDirectory.appendingPathComponent("vfs\(volume.index).pid"), atomically: true, encoding: .utf8)
                started.append(Share(index: volume.index, folder: folder, readOnly: volume.readOnly, socket: socket, pid: pid))
                try await waitForSocket(socket, pid: pid, log: log)
                logger.debug("virtiofsd up", metadata: ["volume": "\(volume.index)", "folder": "\(folder)", "ro": "\(volume.readOnly)"])
            }
        } catch {
            await VirtiofsShares(shares: started).stop()
            throw error
        }
        return VirtiofsShares(shares: started)
    }

    private static func waitForSocket(_ socket: URL, pid: pid_t, log: URL) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if FileManager.default.fileExists(atPath: socket.path) { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                throw RunError.startFailed("virtiofsd for a volume exited at once: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw RunError.startFailed("virtiofsd did not listen on \(socket.path) within 10 s")
    }

    private static func qemuGroupName() -> String? {
        guard let account = HomeAccess.qemuAccount(), let group = getgrgid(account.gid) else { return nil }
        return String(cString: group.pointee.gr_name)
    }

    /// Ends every virtiofsd (they end on their own once QEMU is gone; this reaps them)
    /// and removes their sockets.
    func stop() async {
        for share in shares {
            var status: Int32 = 0
            if waitpid(share.pid, &status, WNOHANG) == 0 {
                kill(share.pid, SIGTERM)
                _ = await ChildProcess.wait(share.pid)
            }
            try? FileManager.default.removeItem(at: share.socket)
        }
    }

    /// virtiofsd processes an earlier hull process left in `runDirectory` (pid files).
    static func killLeftovers(in runDirectory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runDirectory.path)) ?? []
        for name in names where name.hasPrefix("vfs") && name.hasSuffix(".pid") {
            let file = runDirectory.appendingPathComponent(name)
            if let text = try? String(contentsOf: file, encoding: .utf8),
               let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1,
               ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").contains("virtiofsd") {
                kill(pid, SIGTERM)
            }
            try? FileManager.default.removeItem(at: file)
        }
    }
}
