import Foundation
import Glibc
import HullRuntime
import Testing

/// `hull run` in the foreground is a client of hulld (issue 10): the container shows in
/// `hull ps` while it runs, a client that dies takes its container with it, and without
/// --rm the exited container stays, as with Docker. Once per isolation mode.
extension Integration {
    @Suite("foreground hull run through hulld", .serialized)
    struct ForegroundRunTests {
        init() throws {
            try HullCLI.requireSetUp()
        }

        /// The words of `hull ps` (`-a`: exited containers too); names are unique here.
        func containerNames(all: Bool = true) throws -> Set<String> {
            let r = try HullCLI.run(["ps"] + (all ? ["-a"] : []))
            return Set(r.out.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        }

        /// Polls `condition` for up to `seconds`; true once it held.
        func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if try condition() { return true }
                Thread.sleep(forTimeInterval: 0.2)
            }
            return try condition()
        }

        @Test("shown by hull ps while it runs; a SIGKILLed client leaves no container, guest or folder", arguments: IsolationMode.allCases)
        func clientKilled(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            let name = "fg-kill-\(mode.rawValue)-\(UInt16.random(in: 0...UInt16.max))"
            let dirsBefore = HullCLI.runDirectories()
            let client = Process()
            client.executableURL = HullCLI.binary
            client.arguments = ["run", "--rm", "--name", name, "--isolation", mode.rawValue, "busybox", "sh", "-c", "echo up; while :; do sleep 1; done"]
            let out = Pipe()
            client.standardOutput = out
            client.standardError = FileHandle.nullDevice
            client.standardInput = FileHandle.nullDevice
            try client.run()
            // The first line of output: the container runs.
            let first = out.fileHandleForReading.availableData
            #expect(String(decoding: first, as: UTF8.self).hasPrefix("up"))
            #expect(try containerNames(all: false).contains(name), "a foreground container shows in hull ps")
            kill(client.processIdentifier, SIGKILL)
            client.waitUntilExit()
            #expect(try eventually(30) { try !containerNames().contains(name) }, "hulld removed the container of the dead client")
            #expect(try eventually(10) { try !HullCLI.hullDomains().contains(HullCLI.domain(name)) })
            #expect(eventually(10) { HullCLI.runDirectories().subtracting(dirsBefore).isEmpty })
        }

        @Test("SIGTERM to the client reaches the container's process", arguments: IsolationMode.allCases)
        func sigtermForwarded(mode: IsolationMode) throws {
            try HullCLI.require(mode)
            let client = Process()
            client.executableURL = HullCLI.binary
            client.arguments = ["run", "--rm", "--isolation", mode.rawValue, "busybox", "sh", "-c",
                                "trap 'echo got-term; exit 3' TERM; echo up; while :; do sleep 0.2; done"]
            let out = Pipe()
            client.standardOutput = out
            client.standardError = FileHandle.nullDevice
            client.standardInput = FileHandle.nullDevice
            try client.run()
            #expect(String(decoding: out.fileHandleForReading.availableData, as: UTF8.self).hasPrefix("up"))
            kill(client.processIdentifier, SIGTERM)
            client.waitUntilExit()
            let rest = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(rest.contains("got-term"))
            #expect(client.terminationStatus == 3, "the trap's exit status")
        }

        @Test("without --rm the exited container stays, with its status and logs (as docker run)")
        func keptWithoutRm() throws {
            try HullCLI.require(.process)
            let name = "fg-keep-\(UInt16.random(in: 0...UInt16.max))"
            let r = try HullCLI.run(["run", "--name", name, "--isolation", "process", "busybox", "sh", "-c", "echo kept; exit 4"])
            #expect(r.status == 4)
            #expect(r.out == "kept\n")
            #expect(try containerNames().contains(name))
            #expect(try HullCLI.run(["logs", name]).out == "kept\n")
            let rm = try HullCLI.run(["rm", name])
            #expect(rm.status == 0, "\(rm.err)")
        }

        @Test("--rootfs works detached too: hulld copies it")
        func rootfsDetached() throws {
            try HullCLI.require(.process)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hull-rootfs-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let export = try HullCLI.run(["run", "--rm", "--isolation", "process", "busybox", "tar", "-cf", "-", "-C", "/", "bin", "etc"])
            #expect(export.status == 0)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let tar = dir.appendingPathComponent("root.tar")
            try export.stdout.write(to: tar)
            let id = try HullCLI.run(["run", "-d", "--isolation", "process", "--rootfs", tar.path, "/bin/sh", "-c", "echo from-rootfs"])
            #expect(id.status == 0, "\(id.err)")
            let container = id.out.trimmingCharacters(in: .whitespacesAndNewlines)
            let wait = try HullCLI.run(["wait", container])
            #expect(wait.out.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
            #expect(try HullCLI.run(["logs", container]).out == "from-rootfs\n")
            _ = try HullCLI.run(["rm", container])
        }
    }
}
