import Foundation
import Testing

extension Integration {
    @Suite("images through hulld: shared pulls, removal refused while a container uses an image, loads", .serialized)
    struct ImageServiceTests {
        init() throws { try RegistryFixture.requireTools() }

        @Test("four clients pulling one image at once make one download, and all four get it")
        func sharedPull() throws {
            let layout = try RegistryFixture.layout.get()
            let work = try RegistryFixture.scratch("shared-pull")
            defer { try? FileManager.default.removeItem(at: work) }
            let registry = try TestRegistry(in: work.appendingPathComponent("registry"))
            defer { registry.stop() }
            try TestImages.copy(layout, "multi", to: "\(registry.host)/shared/app:1")
            let proxy = try FaultProxy(upstream: registry.host, in: work)
            defer { proxy.stop() }
            let p = proxy.host
            let name = "\(p)/shared/app:1"
            RegistryFixture.removeImages([name])
            defer { RegistryFixture.removeImages([name]) }
            // hulld up first (not four clients starting it), and blob answers wait three
            // seconds, so the four pulls surely overlap.
            #expect(try HullCLI.run(["image", "ls", "-q"]).status == 0)
            try proxy.setMode("delay 3")

            // Four threads of their own (concurrentPerform would run only as many as there are cores).
            let results = Results()
            let group = DispatchGroup()
            for i in 0..<4 {
                group.enter()
                Thread {
                    results.set(i, Result { try HullCLI.run(["pull", name]) })
                    group.leave()
                }.start()
            }
            group.wait()
            for result in results.all {
                let r = try result.get()
                #expect(r.status == 0, "\(r.err)")
                #expect(r.out == "\(name)\n")
                #expect(r.err.contains("Status: Downloaded newer image for \(name)"), "every client saw the download: \(r.err)")
            }
            let requests = try proxy.requests()
            let blobGets = requests.filter { $0.hasPrefix("GET ") && $0.contains("/blobs/sha256:") }
            let distinct = Set(blobGets.map { $0.split(separator: " ")[1] })
            #expect(distinct.count == 5, "config and four layers: \(blobGets)")
            #expect(blobGets.count == distinct.count, "each blob fetched once for four clients: \(blobGets)")
            let manifestGets = requests.filter { $0.hasPrefix("GET ") && $0.contains("/manifests/") }
            #expect(manifestGets.count == 1, "one manifest fetch: \(manifestGets)")
            #expect(try RegistryFixture.inStore(name))
        }

        @Test("an image a container uses (not even started) is not removed; the error names the container")
        func removalRefused() throws {
            let layout = try RegistryFixture.layout.get()
            let work = try RegistryFixture.scratch("rmi-guard")
            defer { try? FileManager.default.removeItem(at: work) }
            let name = "rmi-guard-\(UInt16.random(in: 0...UInt16.max))"
            let image = "hull-test/\(name):1"
            // An image of its own (a label no other image has), so its last tag is this one.
            try ExternalTool.run("skopeo", ["copy", "--quiet", "oci:\(layout.path):multi", "oci:\(work.path)/one:x"])
            try ExternalTool.run("umoci", ["config", "--image", "\(work.path)/one:x", "--config.label", "hull.test=\(UUID().uuidString)"])
            let load = try HullCLI.run(["image", "load", "--name", image, work.path + "/one"])
            #expect(load.status == 0, "\(load.err)")
            defer { _ = try? HullCLI.run(["image", "rm", "-f", image]) }
            let created = try HullCLI.run(["create", "--name", name, "--isolation", "process", image, "true"])
            #expect(created.status == 0, "\(created.err)")
            // Another tag of the same image: untagging it alone is fine.
            #expect(try HullCLI.run(["tag", image, image + "-b"]).status == 0)
            #expect(try HullCLI.run(["image", "rm", image + "-b"]).out == "Untagged: \(image)-b\n")
            let refused = try HullCLI.run(["image", "rm", image])
            #expect(refused.status == 1)
            #expect(refused.err.contains("in use by container \(name)"), "\(refused.err)")
            #expect(try RegistryFixture.inStore(image))
            #expect(try HullCLI.run(["rm", name]).status == 0)
            let removed = try HullCLI.run(["image", "rm", image])
            #expect(removed.status == 0, "\(removed.err)")
            #expect(removed.out.contains("Untagged: \(image)") && removed.out.contains("Deleted: sha256:"), "\(removed.out)")
        }

        @Test("image load sends archives and folders to hulld: a tar on stdin and an OCI layout folder load; a broken one is refused whole")
        func loads() throws {
            let layout = try RegistryFixture.layout.get()
            let work = try RegistryFixture.scratch("load")
            defer { try? FileManager.default.removeItem(at: work) }
            let names = ["hull-test/loaded:dir", "hull-test/loaded:stdin"]
            RegistryFixture.removeImages(names)
            defer { RegistryFixture.removeImages(names) }

            // One image of the fixture's layout as a folder of its own, loaded as a folder.
            try ExternalTool.run("skopeo", ["copy", "--quiet", "oci:\(layout.path):multi", "oci:\(work.path)/one:x"])
            let folder = try HullCLI.run(["image", "load", "--name", "hull-test/loaded:dir", work.path + "/one"])
            #expect(folder.status == 0, "\(folder.err)")
            #expect(folder.out.hasPrefix("Loaded image: hull-test/loaded:dir ("), "\(folder.out)")
            #expect(try RegistryFixture.inStore("hull-test/loaded:dir"))
            // A container runs the image its name gave at create, even when the tag moved since (as Docker).
            let pinned = "pin-\(UInt16.random(in: 0...UInt16.max))"
            #expect(try HullCLI.run(["tag", "busybox", "hull-test/pin:1"]).status == 0)
            defer { _ = try? HullCLI.run(["image", "rm", "-f", "hull-test/pin:1"]) }
            #expect(try HullCLI.run(["create", "--name", pinned, "--isolation", "process", "hull-test/pin:1"]).status == 0)
            defer { _ = try? HullCLI.run(["rm", "-f", pinned]) }
            #expect(try HullCLI.run(["tag", "hull-test/loaded:dir", "hull-test/pin:1"]).status == 0)
            #expect(try HullCLI.run(["start", pinned]).status == 0)
            #expect(try HullCLI.run(["wait", pinned]).out == "0\n")
            #expect(try HullCLI.run(["logs", pinned]).out == "", "busybox's sh, not the new image's command")
            #expect(try HullCLI.run(["run", "--rm", "--isolation", "process", "hull-test/pin:1"]).out == "two\nthree\n")

            let archive = work.appendingPathComponent("one.tar")
            try ExternalTool.run("skopeo", ["copy", "--quiet", "oci:\(layout.path):multi", "docker-archive:\(archive.path):x/y:z"])
            let stdin = try HullCLI.run(["image", "load", "--name", "hull-test/loaded:stdin", "-"], stdin: try Data(contentsOf: archive))
            #expect(stdin.status == 0, "\(stdin.err)")
            #expect(stdin.out.hasPrefix("Loaded image: hull-test/loaded:stdin ("))
            #expect(try RegistryFixture.inStore("hull-test/loaded:stdin"))

            var broken = try Data(contentsOf: archive)
            broken = broken.prefix(broken.count / 2)
            let bad = try HullCLI.run(["image", "load", "--name", "hull-test/broken:1", "-"], stdin: broken)
            #expect(bad.status == 1)
            #expect(!bad.err.isEmpty)
            #expect(!(try RegistryFixture.inStore("hull-test/broken:1")))
        }
    }
}

/// Results of concurrent calls, by index.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: Result<HullCLI.Result, any Error>] = [:]
    func set(_ i: Int, _ value: Result<HullCLI.Result, any Error>) { lock.withLock { values[i] = value } }
    var all: [Result<HullCLI.Result, any Error>] { lock.withLock { values.keys.sorted().map { values[$0]! } } }
}
