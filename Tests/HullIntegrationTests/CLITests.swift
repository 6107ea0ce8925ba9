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
        ])
        func badFlags(args: [String]) throws {
            let before = HullCLI.runDirectories()
            let r = try HullCLI.run(args)
            #expect(r.status != 0)
            #expect(r.err.contains("Error") || r.err.contains("error"), "stderr: \(r.err)")
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
