import Foundation
import HullRuntime
import Testing

extension Integration {
    /// An image made by real tools (umoci, skopeo), loaded with `hull image load` as a
    /// `docker save` archive, run with its config's defaults, then removed.
    @Suite("images made by other tools, loaded and run", .serialized)
    struct ImageRunTests {
        init() throws {
            try HullCLI.requireSetUp()
            for tool in ["/usr/bin/umoci", "/usr/bin/skopeo"] {
                guard FileManager.default.isExecutableFile(atPath: tool) else {
                    throw HullCLI.SetupMissing(what: ["\(tool) missing: apt-get install umoci skopeo (scripts/setup.sh does)"])
                }
            }
        }

        @Test("Entrypoint, Cmd, Env, WorkingDir and User come from the image; flags override them")
        func imageDefaults() throws {
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("hull-img-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: work) }
            let layout = work.appendingPathComponent("layout").path
            let bundle = work.appendingPathComponent("bundle").path
            let tag = "itest\(UInt32.random(in: 0...UInt32.max))"
            try sh("umoci", ["init", "--layout", layout])
            try sh("umoci", ["new", "--image", "\(layout):v1"])
            try sh("umoci", ["unpack", "--image", "\(layout):v1", bundle])
            try sh("cp", ["-a", HullPaths().builtinRootfs.path + "/.", bundle + "/rootfs/"])
            try FileManager.default.createDirectory(atPath: bundle + "/rootfs/srv", withIntermediateDirectories: true)
            try sh("umoci", ["repack", "--image", "\(layout):v1", bundle])
            try sh("umoci", ["config", "--image", "\(layout):v1",
                             "--config.entrypoint", "/bin/sh", "--config.entrypoint", "-c",
                             "--config.cmd", "echo \"$GREETING from $(pwd) as $(id -un)\"",
                             "--config.env", "PATH=/bin:/usr/bin", "--config.env", "GREETING=hello",
                             "--config.workingdir", "/srv", "--config.user", "nobody"])
            let archive = work.appendingPathComponent("image.tar").path
            try sh("skopeo", ["copy", "oci:\(layout):v1", "docker-archive:\(archive):\(tag):v1"])

            let load = try HullCLI.run(["image", "load", archive])
            #expect(load.status == 0, "load: \(load.err)")
            defer { _ = try? HullCLI.run(["image", "rm", "-f", "\(tag):v1"]) }
            let list = try HullCLI.run(["image", "ls"])
            #expect(list.out.contains(tag))

            let r = try HullCLI.run(["run", "--rm", "\(tag):v1"])
            #expect(r.status == 0, "stderr: \(r.err)")
            #expect(r.out == "hello from /srv as nobody\n")

            let overridden = try HullCLI.run(["run", "--rm", "-e", "GREETING=hi", "-w", "/tmp", "-u", "root",
                                              "\(tag):v1", "echo \"$GREETING from $(pwd) as $(id -un)\""])
            #expect(overridden.out == "hi from /tmp as root\n", "stderr: \(overridden.err)")

            let inspect = try HullCLI.run(["image", "inspect", "\(tag):v1"])
            #expect(inspect.out.contains("GREETING=hello"))

            let rm = try HullCLI.run(["image", "rm", "\(tag):v1"])
            #expect(rm.status == 0, "rm: \(rm.err)")
            let gone = try HullCLI.run(["run", "--rm", "\(tag):v1"])
            #expect(gone.status == 125)
            #expect(gone.err.contains("no such image"))
        }

        private func sh(_ tool: String, _ args: [String]) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [tool] + args
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                throw HullCLI.SetupMissing(what: ["\(tool) \(args.joined(separator: " ")) failed: \(message)"])
            }
        }
    }
}
