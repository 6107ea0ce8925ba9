import Foundation
import Glibc
import HullRuntime
import Testing

/// `-v` / `--mount` / `hull volume` in every isolation mode (issue 10): bind mounts through
/// virtio-fs in a guest, OCI bind mounts under runc/runsc; same flags, same results.
extension Integration {
    @Suite("volumes and bind mounts in every mode", .serialized)
    struct VolumeTests {
        init() throws {
            try HullCLI.requireSetUp()
        }

        func hostFolder() throws -> URL {
            let url = URL(fileURLWithPath: "/tmp/hull-volume-test-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }

        @Test("bind mount: host files seen with their owner, writes land on the host at once, :ro refuses", arguments: IsolationMode.allCases)
        func bindMount(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            let dir = try hostFolder()
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("from-host")
            try Data("host\n".utf8).write(to: file)
            #expect(chown(file.path, 1234, 2345) == 0 && chmod(file.path, 0o640) == 0)
            let r = try HullCLI.run(["run", "--rm", "--isolation", mode.rawValue, "-v", "\(dir.path):/data", "busybox", "sh", "-c",
                                     "stat -c '%u %g %a' /data/from-host; cat /data/from-host; echo written > /data/from-container; mkdir /data/sub"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out == "1234 2345 640\nhost\n")
            #expect(try String(contentsOf: dir.appendingPathComponent("from-container"), encoding: .utf8) == "written\n")
            var isDir: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("sub").path, isDirectory: &isDir) && isDir.boolValue)

            let ro = try HullCLI.run(["run", "--rm", "--isolation", mode.rawValue, "--mount", "type=bind,source=\(dir.path),target=/data,readonly",
                                      "busybox", "sh", "-c", "cat /data/from-host && echo no > /data/denied"])
            #expect(ro.status != 0)
            #expect(ro.out == "host\n")
            #expect(ro.err.contains("Read-only file system"), "\(ro.err)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("denied").path))
        }

        @Test("a named volume survives its container and serves the next; in use it cannot be removed", arguments: IsolationMode.allCases)
        func namedVolume(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            let volume = "vt-\(mode.rawValue)-\(UInt16.random(in: 0...UInt16.max))"
            defer { _ = try? HullCLI.run(["volume", "rm", "-f", volume]) }
            let first = try HullCLI.run(["run", "--rm", "--isolation", mode.rawValue, "-v", "\(volume):/v", "busybox", "sh", "-c", "echo one >> /v/log"])
            #expect(first.status == 0, "\(first.err)")
            let kept = "keeper-\(volume)"
            let second = try HullCLI.run(["run", "--name", kept, "--isolation", mode.rawValue, "-v", "\(volume):/v", "busybox", "sh", "-c", "echo two >> /v/log; cat /v/log"])
            #expect(second.out == "one\ntwo\n", "\(second.err)")
            let refused = try HullCLI.run(["volume", "rm", volume])
            #expect(refused.status == 1)
            #expect(refused.err.contains(kept), "names the container: \(refused.err)")
            #expect(try HullCLI.run(["volume", "ls"]).out.contains(volume))
            _ = try HullCLI.run(["rm", kept])
            let removed = try HullCLI.run(["volume", "rm", volume])
            #expect(removed.status == 0, "\(removed.err)")
            #expect(try !HullCLI.run(["volume", "ls", "-q"]).out.split(separator: "\n").contains(Substring(volume)))
        }

        @Test("--mount type=tmpfs with a size", arguments: IsolationMode.allCases)
        func tmpfsMount(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            let r = try HullCLI.run(["run", "--rm", "--isolation", mode.rawValue, "--mount", "type=tmpfs,target=/scratch,tmpfs-size=8m",
                                     "busybox", "sh", "-c", "grep ' /scratch ' /proc/mounts | cut -d' ' -f3; df -k /scratch | tail -1 | awk '{print $2}'"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out == "tmpfs\n8192\n", "\(r.out)")
        }

        @Test("--ulimit reaches the container's processes", arguments: IsolationMode.allCases)
        func ulimit(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            let r = try HullCLI.run(["run", "--rm", "--isolation", mode.rawValue, "--ulimit", "nofile=256:512", "--ulimit", "nproc=100",
                                     "busybox", "sh", "-c", "ulimit -n; ulimit -Hn; ulimit -u"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out == "256\n512\n100\n", "\(r.out)")
        }

        @Test("a missing host path is a clear error and nothing is created")
        func missingHostPath() throws {
            let path = "/tmp/hull-no-such-folder-\(UUID().uuidString.prefix(8))"
            let r = try HullCLI.run(["run", "--rm", "--isolation", "process", "-v", "\(path):/data", "busybox", "true"])
            #expect(r.status == 125)
            #expect(r.err.contains("does not exist") && r.err.contains(path), "\(r.err)")
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }
}
