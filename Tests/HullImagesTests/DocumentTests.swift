import Foundation
import Testing
@testable import HullImages

struct DocumentTests {
    let d1 = "sha256:" + String(repeating: "1", count: 64)
    let d2 = "sha256:" + String(repeating: "2", count: 64)
    let d3 = "sha256:" + String(repeating: "3", count: 64)

    @Test func ociManifest() throws {
        let json = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(d1)","size":7023},
             "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(d2)","size":32654,
                        "annotations":{"x":"y"}}],
             "annotations":{"org.opencontainers.image.created":"2024-01-01T00:00:00Z"}}
            """
        let m = try OCIManifest.decode(Data(json.utf8), what: "m")
        #expect(m.config.digest.string == d1)
        #expect(m.layers.map(\.size) == [32654])
        #expect(m.contentSize == 7023 + 32654)
        #expect(m.layers[0].annotations == ["x": "y"])
    }

    @Test func dockerSchema2ManifestAndList() throws {
        let manifest = """
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
             "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1469,"digest":"\(d1)"},
             "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":2,"digest":"\(d2)"}]}
            """
        let m = try OCIManifest.decode(Data(manifest.utf8), what: "m")
        #expect(m.mediaType == MediaType.dockerManifest)
        #expect(MediaType.ociLayerType(for: m.layers[0].mediaType) == MediaType.ociLayerGzip)
        let list = """
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[
             {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":"\(d1)",
              "platform":{"architecture":"arm","os":"linux","variant":"v7"}},
             {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":"\(d2)",
              "platform":{"architecture":"amd64","os":"linux"}},
             {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"\(d3)",
              "platform":{"architecture":"unknown","os":"unknown"}}]}
            """
        let index = try OCIIndex.decode(Data(list.utf8), what: "l")
        #expect(try OCILayoutSource.selectPlatform(index, label: "x").digest.string == d2)
        var armOnly = index
        armOnly.manifests.remove(at: 1)
        #expect(throws: ImageError.noMatchingPlatform("x", wanted: "linux/amd64", available: ["linux/arm/v7"])) {
            try OCILayoutSource.selectPlatform(armOnly, label: "x")
        }
    }

    @Test func refusesSchema1AndGarbage() {
        #expect(throws: ImageError.self) {
            try OCIManifest.decode(Data(#"{"schemaVersion":1,"name":"x","fsLayers":[]}"#.utf8), what: "m")
        }
        #expect(throws: ImageError.self) { try OCIManifest.decode(Data("not json".utf8), what: "m") }
        #expect(throws: ImageError.self) {
            try OCIManifest.decode(Data(#"{"schemaVersion":2,"config":{"digest":"sha256:12","size":1}}"#.utf8), what: "m")
        }
        #expect(throws: ImageError.self) {
            try OCIManifest.decode(Data(#"{"schemaVersion":2,"config":{"digest":"\#(d1)","size":-1}}"#.utf8), what: "m")
        }
    }

    @Test func imageConfig() throws {
        let json = """
            {"architecture":"amd64","os":"linux","created":"2023-05-19T20:19:24.123456789Z",
             "config":{"Env":["PATH=/bin"],"Cmd":["sh"],"Entrypoint":null,"WorkingDir":"/w","User":"1:2",
                       "ExposedPorts":{"80/tcp":{}},"Volumes":{"/data":{}},"Labels":{"a":"b"},"StopSignal":"SIGTERM"},
             "rootfs":{"type":"layers","diff_ids":["\(d1)","\(d2)"]},
             "history":[{"created_by":"x","empty_layer":true}],"unknown":{"kept":"by inspect"}}
            """
        let c = try OCIImageConfig.decode(Data(json.utf8), what: "c")
        #expect(c.platform == ImagePlatform.host)
        #expect(c.config?.cmd == ["sh"] && c.config?.entrypoint == nil && c.config?.workingDir == "/w")
        #expect(c.config?.exposedPorts?.keys.sorted() == ["80/tcp"])
        #expect(c.rootfs.diffIDs.count == 2)
        #expect(c.history?.first?.emptyLayer == true)
        #expect(c.createdDate == ISO8601DateFormatter().date(from: "2023-05-19T20:19:24Z"))
        var other = c
        other.created = "2023-05-19T22:19:24+02:00"
        #expect(other.createdDate == c.createdDate)
        other.created = "0001-01-01T00:00:00Z"
        #expect(other.createdDate == nil)
    }

    @Test func encodingIsDeterministic() throws {
        let m = OCIManifest(config: .init(mediaType: MediaType.ociConfig, digest: try Digest(parsing: d1), size: 1),
                            layers: [.init(mediaType: MediaType.ociLayerGzip, digest: try Digest(parsing: d2), size: 2)])
        let a = try JSONCoding.encode(m)
        #expect(a == (try JSONCoding.encode(m)))
        let text = String(decoding: a, as: UTF8.self)
        #expect(text.hasPrefix(#"{"config":{"digest":"sha256:111"#))
        #expect(!text.contains("\\/"))
        #expect(try OCIManifest.decode(a, what: "m") == m)
    }
}
