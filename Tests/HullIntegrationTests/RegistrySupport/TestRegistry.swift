import Foundation
import Glibc

/// Debian's `docker-registry` on a free loopback port, with a config written for the test
/// into its own folder (storage included), stopped by `stop()` or when released.
final class TestRegistry: @unchecked Sendable {
    enum Auth {
        case none
        /// `auth: htpasswd` with this file.
        case htpasswd(URL)
        /// `auth: token`: tokens from `realm`, signed by the key of `rootCertBundle`.
        case token(realm: String, service: String, issuer: String, rootCertBundle: URL)
    }

    let dir: URL
    let port: Int
    let storage: URL
    private var daemon: TestDaemon?
    private let config: URL

    var host: String { "127.0.0.1:\(port)" }

    init(in dir: URL, auth: Auth = .none, tls: (cert: URL, key: URL)? = nil) throws {
        self.dir = dir
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        port = freeLoopbackPort()
        storage = dir.appendingPathComponent("storage")
        config = dir.appendingPathComponent("config.yml")
        var yaml = """
            version: 0.1
            log:
              level: warn
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: \(storage.path)
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:\(port)

            """
        if let tls {
            yaml += "  tls:\n    certificate: \(tls.cert.path)\n    key: \(tls.key.path)\n"
        }
        switch auth {
        case .none: break
        case .htpasswd(let file):
            yaml += "auth:\n  htpasswd:\n    realm: hull-test\n    path: \(file.path)\n"
        case .token(let realm, let service, let issuer, let bundle):
            yaml += "auth:\n  token:\n    realm: \(realm)\n    service: \(service)\n    issuer: \(issuer)\n    rootcertbundle: \(bundle.path)\n"
        }
        try Data(yaml.utf8).write(to: config)
        try start()
    }

    func start() throws {
        let daemon = try TestDaemon("/usr/bin/docker-registry", ["serve", config.path], log: dir.appendingPathComponent("registry.log"))
        try daemon.start()
        self.daemon = daemon
        let deadline = Date().addingTimeInterval(20)
        while !tcpAccepts(port) {
            guard daemon.process.isRunning, Date() < deadline else {
                daemon.stop()
                throw HullCLI.SetupMissing(what: ["docker-registry did not start on \(host): \((try? String(contentsOf: daemon.log, encoding: .utf8)) ?? "")"])
            }
            usleep(50_000)
        }
    }

    func stop() {
        daemon?.stop()
        daemon = nil
    }

    /// The file the registry serves a blob from: a test may spoil it.
    func blobData(_ digestHex: String) -> URL {
        storage.appendingPathComponent("docker/registry/v2/blobs/sha256/\(digestHex.prefix(2))/\(digestHex)/data")
    }

    deinit { stop() }
}

/// Test images, built with umoci from the built-in busybox rootfs and put into registries
/// with skopeo.
enum TestImages {
    /// An OCI layout at `layout` holding `multi` (busybox + /etc/layer2 + /layer3.txt and a
    /// ~2 MB layer of random bytes, four layers, Cmd printing the files), `arm` (an empty
    /// linux/arm64 image) and `index` (an index of the two).
    static func build(layout: URL, busyboxRootfs: URL) throws {
        let l = layout.path
        let bundle = layout.deletingLastPathComponent().appendingPathComponent("bundle").path
        try ExternalTool.run("umoci", ["init", "--layout", l])
        try ExternalTool.run("umoci", ["new", "--image", "\(l):multi"])
        let steps: [(String) throws -> Void] = [
            { root in try ExternalTool.run("cp", ["-a", busyboxRootfs.path + "/.", root + "/"]) },
            { root in try Data("two\n".utf8).write(to: URL(fileURLWithPath: root + "/etc/layer2")) },
            { root in try ExternalTool.run("dd", ["if=/dev/urandom", "of=\(root)/noise.bin", "bs=1M", "count=2", "status=none"]) },
            { root in try Data("three\n".utf8).write(to: URL(fileURLWithPath: root + "/layer3.txt")) },
        ]
        for step in steps {
            try ExternalTool.run("umoci", ["unpack", "--image", "\(l):multi", bundle])
            try step(bundle + "/rootfs")
            try ExternalTool.run("umoci", ["repack", "--image", "\(l):multi", bundle])
            try ExternalTool.run("rm", ["-rf", bundle])
        }
        try ExternalTool.run("umoci", ["config", "--image", "\(l):multi", "--config.env", "PATH=/bin:/usr/bin",
                                       "--config.cmd", "/bin/sh", "--config.cmd", "-c", "--config.cmd", "cat /etc/layer2 /layer3.txt"])
        try ExternalTool.run("umoci", ["new", "--image", "\(l):arm"])
        try ExternalTool.run("umoci", ["config", "--image", "\(l):arm", "--architecture", "arm64", "--os", "linux"])

        // The index: both manifests with their platforms.
        struct Entry: Codable { var mediaType: String; var digest: String; var size: Int; var annotations: [String: String]? }
        struct Layout: Codable { var schemaVersion: Int; var manifests: [Entry] }
        let indexFile = layout.appendingPathComponent("index.json")
        var top = try JSONDecoder().decode(Layout.self, from: Data(contentsOf: indexFile))
        func entry(_ tag: String) throws -> Entry {
            guard let e = top.manifests.first(where: { $0.annotations?["org.opencontainers.image.ref.name"] == tag }) else {
                throw HullCLI.SetupMissing(what: ["umoci made no \(tag)"])
            }
            return e
        }
        let amd = try entry("multi"), arm = try entry("arm")
        let index = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(arm.digest)","size":\(arm.size),"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},\
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(amd.digest)","size":\(amd.size),"platform":{"architecture":"amd64","os":"linux"}}]}
            """
        let data = Data(index.utf8)
        let hex = try ExternalTool.run("sha256sum", [], stdin: data).prefix(64)
        try data.write(to: layout.appendingPathComponent("blobs/sha256/\(hex)"))
        top.manifests.append(Entry(mediaType: "application/vnd.oci.image.index.v1+json", digest: "sha256:\(hex)", size: data.count,
                                   annotations: ["org.opencontainers.image.ref.name": "index"]))
        try JSONEncoder().encode(top).write(to: indexFile)
    }

    /// `skopeo copy` from the layout to `registry/repo:tag` (plain HTTP or TLS unverified).
    /// `freshCache`: skopeo gets a HOME of its own, so its blob-info cache cannot swap in
    /// blobs it already pushed in another compression (it would, for zstd).
    static func copy(_ layout: URL, _ tag: String, to destination: String, extra: [String] = [], freshCache: Bool = false) throws {
        var environment: [String: String] = [:]
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("hull-skopeo-home-\(UUID().uuidString.prefix(8))")
        if freshCache { environment["HOME"] = home.path }
        defer { try? FileManager.default.removeItem(at: home) }
        try ExternalTool.run("skopeo", ["copy", "--quiet", "--dest-tls-verify=false"] + extra + ["oci:\(layout.path):\(tag)", "docker://\(destination)"],
                             environment: environment)
    }
}
