import Foundation
import Testing

extension Integration {
    @Suite("hull CLI without a guest")
    struct CLITests {
        @Test("doctor says what the host offers")
        func doctor() throws {
            let r = try HullCLI.run(["doctor"])
            #expect(r.out.contains("libvirt"))
            #expect(r.out.contains("acceleration"))
            #expect(r.out.contains("control channel"))
            #expect(r.out.contains("guest kernel"))
            #expect(r.status == 0, "doctor reports something missing:\n\(r.out)")
        }
    
        @Test("bad flags are refused before anything starts", arguments: [
            ["run", "--memory", "1k", "busybox", "true"],
            ["run", "--memory", "lots", "busybox", "true"],
            ["run", "--accel", "warp", "busybox", "true"],
            ["run", "--cpus", "0", "busybox", "true"],
            ["run"],
            ["run", "-v", "/only-a-target", "busybox", "true"],
            ["run", "-v", "/a:/b:rx", "busybox", "true"],
            ["run", "-v", "/a:/data", "-v", "/b:/data/", "busybox", "true"],
            ["run", "--mount", "type=bind,target=/data", "busybox", "true"],
            ["run", "--mount", "type=nfs,source=x,target=/data", "busybox", "true"],
            ["run", "--mount", "type=volume,source=../x,target=/data", "busybox", "true"],
        ])
        func badFlags(args: [String]) throws {
            let before = HullCLI.runDirectories()
            let r = try HullCLI.run(args)
            #expect(r.status != 0)
            #expect(r.err.contains("Error") || r.err.contains("error"), "stderr: \(r.err)")
            #expect(HullCLI.runDirectories() == before)
        }
    
        // Issue 18: numbers that once crashed hull (an Int64 conversion trap) are refused
        // with exit 64, naming the flag and its range.
        @Test("numbers out of range: exit 64 naming the flag, never a crash", arguments: [
            (["run", "--rm", "--boot-timeout", "1e16", "busybox", "true"], "--boot-timeout must be more than 0 and at most 3600"),
            (["run", "--rm", "--boot-timeout", "inf", "busybox", "true"], "--boot-timeout must be"),
            (["run", "--rm", "--stop-timeout", "1e16", "busybox", "true"], "--stop-timeout must be at least 0 and at most 86400"),
            (["run", "--rm", "--stop-timeout", "nan", "busybox", "true"], "--stop-timeout must be"),
            (["run", "--rm", "--cpus", "1e308", "busybox", "true"], "--cpus must be more than 0 and at most 64"),
            (["run", "--rm", "--memory", "2000g", "busybox", "true"], "--memory must be at least 16 and at most 1048576"),
            (["stop", "-t", "1e16", "x"], "--time must be at least 0 and at most 86400"),
            (["restart", "-t", "1e16", "x"], "--time must be at least 0 and at most 86400"),
        ])
        func outOfRange(args: [String], message: String) throws {
            let before = HullCLI.runDirectories()
            let r = try HullCLI.run(args, environment: ["HULL_NO_AUTOSTART": "1"])
            #expect(r.status == 64, "\(args): \(r.status) \(r.err)")
            #expect(r.err.contains(message), "\(args): \(r.err)")
            #expect(HullCLI.runDirectories() == before)
        }

        @Test("an unknown image is a clear error")
        func unknownImage() throws {
            let r = try HullCLI.run(["run", "--rm", "nosuchimage", "true"])
            #expect(r.status != 0)
            #expect(r.err.contains("no such image: nosuchimage"))
        }
    
        @Test("a --rootfs that is not a tar archive is a clear error and leaves nothing behind")
        func badRootfs() throws {
            let bogus = FileManager.default.temporaryDirectory.appendingPathComponent("bogus-\(UUID().uuidString).tar")
            try Data("not a tarball".utf8).write(to: bogus)
            defer { try? FileManager.default.removeItem(at: bogus) }
            let before = HullCLI.runDirectories()
            let r = try HullCLI.run(["run", "--rm", "--rootfs", bogus.path, "true"])
            #expect(r.status == 125)
            #expect(r.err.contains("not a readable tar archive"))
            #expect(HullCLI.runDirectories() == before)
        }
    }
}
