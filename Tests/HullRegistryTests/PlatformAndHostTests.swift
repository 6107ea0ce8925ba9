import Foundation
import HullImages
import HullRegistry
import Testing

@Suite("platform choice, registry hosts, pull references")
struct PlatformAndHostTests {
    func entry(_ os: String, _ arch: String, _ variant: String? = nil, n: Int) throws -> OCIDescriptor {
        OCIDescriptor(mediaType: MediaType.ociManifest, digest: try Digest(parsing: "sha256:" + String(repeating: String(n), count: 64)),
                      size: 1, platform: OCIPlatform(architecture: arch, os: os, variant: variant))
    }

    @Test("linux/amd64 by default; --platform with and without variant; attestations skipped")
    func select() throws {
        let index = OCIIndex(manifests: [
            try entry("unknown", "unknown", n: 1), try entry("linux", "arm", "v7", n: 2),
            try entry("linux", "arm64", "v8", n: 3), try entry("linux", "amd64", n: 4),
        ])
        #expect(try PlatformChoice.host.select(from: index, label: "x").digest == index.manifests[3].digest)
        #expect(try PlatformChoice(parsing: "linux/arm64").select(from: index, label: "x").digest == index.manifests[2].digest)
        #expect(try PlatformChoice(parsing: "Linux/ARM/v7").select(from: index, label: "x").digest == index.manifests[1].digest)
        #expect(throws: ImageError.noMatchingPlatform("x", wanted: "linux/arm/v6", available: ["linux/arm/v7", "linux/arm64/v8", "linux/amd64"])) {
            try PlatformChoice(parsing: "linux/arm/v6").select(from: index, label: "x")
        }
        #expect(throws: ImageError.noMatchingPlatform("x", wanted: "linux/amd64", available: [])) {
            try PlatformChoice.host.select(from: OCIIndex(manifests: [try entry("unknown", "unknown", n: 5)]), label: "x")
        }
    }

    @Test("bad --platform values are refused")
    func badPlatform() {
        for text in ["linux", "linux/", "/amd64", "linux/amd64/v3/x", "linux/am d64", ""] {
            #expect(throws: ImageError.badPlatform(text)) { try PlatformChoice(parsing: text) }
        }
    }

    @Test("plain HTTP only for loopback or --insecure-registry")
    func insecure() {
        #expect(RegistryOptions.isLoopback("localhost:5000"))
        #expect(RegistryOptions.isLoopback("127.0.0.1:41234"))
        #expect(RegistryOptions.isLoopback("127.1.2.3"))
        #expect(!RegistryOptions.isLoopback("registry.example:5000"))
        #expect(!RegistryOptions.isLoopback("127.example.com"))   // a name, not an address
        let store = CredentialStore(file: URL(fileURLWithPath: "/nonexistent/auth.json"), dockerConfig: nil)
        let options = RegistryOptions(insecure: ["reg.lan:5000"], certDirectories: [], credentials: store, logger: .init(label: "t"))
        #expect(options.allowsPlainHTTP("reg.lan:5000"))
        #expect(!options.allowsPlainHTTP("reg.lan:5001"))
        #expect(!options.allowsPlainHTTP("docker.io"))
    }

    @Test("pullable references: Docker Hub names, host:port, digests")
    func references() throws {
        let hub = try ImageReference(parsing: "busybox")
        #expect(hub.domain == "docker.io" && hub.path == "library/busybox" && hub.withDefaultTag.string == "docker.io/library/busybox:latest")
        let local = try ImageReference(parsing: "127.0.0.1:5000/team/app:v2")
        #expect(local.domain == "127.0.0.1:5000" && local.path == "team/app" && local.tag == "v2")
        let pinned = try ImageReference(parsing: "localhost:5000/app@sha256:" + String(repeating: "a", count: 64))
        #expect(pinned.tag == nil && pinned.digest?.hex == String(repeating: "a", count: 64))
        #expect(throws: ImageError.self) { try ImageReference(parsing: "Localhost:5000/App") }
    }
}
