import CHullRuntime
import Foundation
import Glibc
import HullProtocol

/// Starting and reaping the runtime's processes (runc/runsc and what they leave behind).
///
/// Not Foundation's `Process`: its child inherits a socket Foundation watches for the
/// child's end, and runc's container and runsc's sandbox would inherit it in turn, so
/// `runc create` would seem to run until the container exits. Here the child gets exactly
/// the three descriptors asked for, its own process group (a Ctrl-C at hull's terminal
/// reaches the container only through hull) and default signal dispositions (hull
/// ignores the signals it forwards, and ignored signals survive exec).
public enum ChildProcess {
    public static func spawn(_ path: String, _ arguments: [String], stdin: Int32, stdout: Int32, stderr: Int32,
                      environment: [String: String] = [:]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        hull_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var env = ProcessInfo.processInfo.environment
        env["LC_ALL"] = "C"
        env.merge(environment) { $1 }
        let envp = env.map { strdup("\($0)=\($1)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw ChildProcessError(what: "starting \(path)", code: rc) }
        return pid
    }

    /// Waits for the child `pid` on a thread of its own and returns its wait status.
    public static func wait(_ pid: pid_t) async -> Int32 {
        await withCheckedContinuation { (c: CheckedContinuation<Int32, Never>) in
            let thread = Thread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 {
                    if errno != EINTR {
                        status = 0x7f00  // "exited 127": the child is not ours to wait for
                        break
                    }
                }
                c.resume(returning: status)
            }
            thread.name = "hull-wait-\(pid)"
            thread.start()
        }
    }

    /// Runs a short runtime command and returns its status and its stdout+stderr (bounded).
    public static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> (status: ExitStatus, output: String) {
        var fds: [Int32] = [0, 0]
        guard hull_pipe_cloexec(&fds) == 0 else { throw ChildProcessError(what: "pipe", code: errno) }
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(devNull) }
        let pid: pid_t
        do {
            pid = try spawn(path, arguments, stdin: devNull, stdout: fds[1], stderr: fds[1], environment: environment)
        } catch {
            close(fds[0])
            close(fds[1])
            throw error
        }
        close(fds[1])
        let output = await readAll(fds[0], limit: 1 << 20)
        close(fds[0])
        return (exitStatus(await wait(pid)), output)
    }

    /// Everything until end of file, on a thread; at most `limit` bytes are kept.
    public static func readAll(_ fd: Int32, limit: Int) async -> String {
        await withCheckedContinuation { (c: CheckedContinuation<String, Never>) in
            Thread {
                var kept: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 16 * 1024)
                while let n = try? FileDescriptorIO.read(fd, into: &buffer), n > 0 {
                    if kept.count < limit { kept += buffer[0..<min(n, limit - kept.count)] }
                }
                c.resume(returning: String(decoding: kept, as: UTF8.self))
            }.start()
        }
    }

    /// A wait status as Hull reports it.
    static func exitStatus(_ status: Int32) -> ExitStatus {
        let signal = status & 0x7f
        if signal == 0 { return ExitStatus(code: (status >> 8) & 0xff) }
        return ExitStatus(signal: signal)
    }

    /// Makes this process the reaper of its orphaned descendants: what `runc create`
    /// and `runsc create` leave running (the container's init, runsc's sandbox and gofer)
    /// then stays this process's child, to wait for and to account for.
    static func becomeSubreaper() {
        _ = hull_become_subreaper()
    }

    /// This process's children whose command line mentions `marker`.
    static func children(mentioning marker: String) -> [pid_t] {
        let me = getpid()
        return HostProcesses.all().filter { $0.parent == me && $0.commandLine.contains(marker) }.map(\.pid)
    }
}

struct ChildProcessError: Error, CustomStringConvertible {
    var what: String
    var code: Int32
    var description: String { "\(what): \(String(cString: strerror(code)))" }
}
