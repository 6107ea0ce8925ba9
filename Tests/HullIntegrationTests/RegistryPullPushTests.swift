import Foundation
import HullRuntime
import Testing

/// Shared by the registry suites: the test images (built once per test process), a scratch
/// folder, store checks.
enum RegistryFixture {
    static let layout: Result<URL, any Error> = Result {
        // One folder per test process; those of finished processes are removed here.
        let tmp = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? [] where name.hasPrefix("hull-registry-images-") {
            if let pid = Int32(name.dropFirst("hull-registry-images-".count)), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: tmp.appendingPathComponent(name))
            }
        }
        let dir = tmp.appendingPathComponent("hull-registry-images-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        let layout = dir.appendingPathComponent("layout")
        try TestImages.build(layout: layout, busyboxRootfs: HullPaths().builtinRootfs)
        return layout
    }

    static func requireTools() throws {
        try HullCLI.requireSetUp()
        for tool in ["docker-registry", "skopeo", "umoci", "openssl", "htpasswd", "python3", "sha256sum"] {
            try ExternalTool.require(tool)
        }
    }

    static func scratch(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hull-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Scratch entries of processes that are gone: a pull that failed must leave none.
    static func strayTempEntries() -> [String] {
        let tmp = HullPaths().home.appendingPathComponent("oci/.hull-tmp")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []
        return names.filter { name in
            guard let pid = Int32(name.prefix { $0.isNumber }) else { return true }
            return kill(pid, 0) != 0 && errno != EPERM
        }
    }

    static func inStore(_ reference: String) throws -> Bool {
        try HullCLI.run(["image", "inspect", reference]).status == 0
    }

    static func removeImages(_ references: [String]) {
        for reference in references { _ = try? HullCLI.run(["image", "rm", "-f", reference]) }
    }
}

extension Integration {
    @Suite("registry: pull and push against Debian's docker-registry", .serialized)
    struct RegistryPullPushTests {
        init() throws { try RegistryFixture.requireTools() }

        @Test("multi-layer OCI, Docker schema 2, zstd and multi-arch images are pulled, run and pushed back")
        func pullRunPush() throws {
            let layout = try RegistryFixture.layout.get()
            let work = try RegistryFixture.scratch("registry-anon")
            defer { try? FileManager.default.removeItem(at: work) }
            let registry = try TestRegistry(in: work.appendingPathComponent("registry"))
            defer { registry.stop() }
            let r = registry.host
            try TestImages.copy(layout, "multi", to: "\(r)/zstd/app:1", extra: ["--dest-compress-format", "zstd"], freshCache: true)
            try TestImages.copy(layout, "multi", to: "\(r)/team/app:v1")
            try TestImages.copy(layout, "multi", to: "\(r)/team/app:v2s2", extra: ["--format", "v2s2"])
            try TestImages.copy(layout, "index", to: "\(r)/team/multi:1", extra: ["--all"])
            let names = ["\(r)/team/app:v1", "\(r)/team/app:v2s2", "\(r)/zstd/app:1", "\(r)/team/multi:1",
                         "\(r)/copy/app:pushed", "\(r)/fresh/busybox:chunked"]
            RegistryFixture.removeImages(names)
            defer { RegistryFixture.removeImages(names) }

            // OCI, gzip, four layers: pulled, the store has it, a second pull fetches nothing.
            let first = try HullCLI.run(["pull", "\(r)/team/app:v1"])
            #expect(first.status == 0, "\(first.err)")
            #expect(first.out == "\(r)/team/app:v1\n")
            #expect(first.err.contains("Download complete"))
            #expect(first.err.contains("Status: Downloaded newer image for \(r)/team/app:v1"))
            let manifest = try HullCLI.run(["image", "inspect", "--manifest", "\(r)/team/app:v1"])
            #expect(manifest.out.components(separatedBy: "\"digest\"").count - 1 == 5, "config + 4 layers: \(manifest.out)")
            let skopeoDigest = try ExternalTool.run("skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://\(r)/team/app:v1"])
            let list = try HullCLI.run(["image", "ls", "--no-trunc"])
            #expect(list.out.contains(skopeoDigest.trimmingCharacters(in: .whitespacesAndNewlines)), "the OCI manifest is stored byte for byte")
            let again = try HullCLI.run(["pull", "\(r)/team/app:v1"])
            #expect(again.status == 0, "\(again.err)")
            #expect(again.err.contains("Already exists") && !again.err.contains("Downloading"))
            #expect(again.err.contains("Image is up to date"))

            // Docker schema 2: stored converted to OCI; layers it shares with v1 are not fetched again.
            let v2s2 = try HullCLI.run(["pull", "\(r)/team/app:v2s2"])
            #expect(v2s2.status == 0, "\(v2s2.err)")
            #expect(!v2s2.err.contains("Downloading"), "same layers as v1: \(v2s2.err)")
            let converted = try HullCLI.run(["image", "inspect", "--manifest", "\(r)/team/app:v2s2"])
            #expect(converted.out.contains("application/vnd.oci.image.manifest.v1+json"))

            // zstd layers, pulled by `hull run` itself (--pull missing) and run in a guest.
            let run = try HullCLI.run(["run", "--rm", "\(r)/zstd/app:1"])
            #expect(run.status == 0, "\(run.err)")
            #expect(run.out == "two\nthree\n")
            #expect(run.err.contains("Unable to find image '\(r)/zstd/app:1' locally"))
            let zstdManifest = try HullCLI.run(["image", "inspect", "--manifest", "\(r)/zstd/app:1"])
            #expect(zstdManifest.out.contains("tar+zstd"))

            // Multi-arch index: linux/amd64 unless --platform says otherwise.
            let multi = try HullCLI.run(["pull", "\(r)/team/multi:1"])
            #expect(multi.status == 0, "\(multi.err)")
            let config = try HullCLI.run(["image", "inspect", "\(r)/team/multi:1"])
            #expect(config.out.contains("\"architecture\" : \"amd64\""))
            let arm = try HullCLI.run(["pull", "--platform", "linux/arm64", "\(r)/team/multi:1"])
            #expect(arm.status == 1)
            #expect(arm.err.contains("linux/arm64 image, but Hull runs linux/amd64 guests only"), "\(arm.err)")
            let s390 = try HullCLI.run(["pull", "--platform", "linux/s390x", "\(r)/team/multi:1"])
            #expect(s390.err.contains("has no linux/s390x variant (it has linux/arm64/v8, linux/amd64)"), "\(s390.err)")

            // By digest: the index digest resolves to the same amd64 image.
            let indexDigest = try ExternalTool.run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(r)/team/multi:1"])
            let hex = try sha256Hex(Data(indexDigest.utf8))
            let byDigest = try HullCLI.run(["pull", "\(r)/team/multi@sha256:\(hex)"])
            #expect(byDigest.status == 0, "\(byDigest.err)")
            #expect(byDigest.err.contains("Digest: sha256:\(hex)"))

            // Push to another repository of the same registry: blobs are mounted, not sent.
            #expect(try HullCLI.run(["tag", "\(r)/team/app:v1", "\(r)/copy/app:pushed"]).status == 0)
            let push = try HullCLI.run(["push", "\(r)/copy/app:pushed"])
            #expect(push.status == 0, "\(push.err)")
            #expect(push.err.contains("Mounted from team/app"), "\(push.err)")
            let pushedDigest = try ExternalTool.run("skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://\(r)/copy/app:pushed"])
            #expect(pushedDigest == skopeoDigest)

            // Push of an image the registry has never seen, in 256 KiB chunks; skopeo reads it back whole.
            #expect(try HullCLI.run(["tag", "busybox", "\(r)/fresh/busybox:chunked"]).status == 0)
            let chunked = try HullCLI.run(["push", "--chunk-size", "256k", "\(r)/fresh/busybox:chunked"])
            #expect(chunked.status == 0, "\(chunked.err)")
            #expect(chunked.err.contains("Pushed") && !chunked.err.contains("Mounted"))
            let copyBack = work.appendingPathComponent("back")
            try ExternalTool.run("skopeo", ["copy", "--quiet", "--src-tls-verify=false", "docker://\(r)/fresh/busybox:chunked", "oci:\(copyBack.path):x"])
            let again2 = try HullCLI.run(["push", "\(r)/fresh/busybox:chunked"])
            #expect(again2.err.contains("Layer already exists"))
            #expect(RegistryFixture.strayTempEntries().isEmpty)
        }
    }
}
