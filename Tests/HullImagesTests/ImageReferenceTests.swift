import Testing
@testable import HullImages

struct ImageReferenceTests {
    @Test(arguments: [
        // input, full form, familiar form
        ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("index.docker.io/library/busybox:x", "docker.io/library/busybox:x", "busybox:x"),
        ("team/app:v2", "docker.io/team/app:v2", "team/app:v2"),
        ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
        ("localhost:5000/app:v1", "localhost:5000/app:v1", "localhost:5000/app:v1"),
        ("registry.example.com:443/a/b/c:1.0-rc_1", "registry.example.com:443/a/b/c:1.0-rc_1", "registry.example.com:443/a/b/c:1.0-rc_1"),
        ("Registry/app", "Registry/app:latest", "Registry/app:latest"),
        ("quay.io/some_org/my-app__x.y", "quay.io/some_org/my-app__x.y:latest", "quay.io/some_org/my-app__x.y:latest"),
    ])
    func parses(_ input: String, _ full: String, _ familiar: String) throws {
        let ref = try ImageReference(parsing: input)
        #expect(ref.string == full)
        #expect(ref.familiar == familiar)
        #expect(try ImageReference(parsing: ref.string) == ref.withDefaultTag)
    }

    @Test func digestReferences() throws {
        let hex = String(repeating: "ab", count: 32)
        let ref = try ImageReference(parsing: "busybox@sha256:\(hex)")
        #expect(ref.tag == nil)
        #expect(ref.digest?.hex == hex)
        #expect(ref.string == "docker.io/library/busybox@sha256:\(hex)")
        #expect(ref.familiar == "busybox@sha256:\(hex)")
        let both = try ImageReference(parsing: "host:5000/app:v1@sha256:\(hex)")
        #expect(both.domain == "host:5000" && both.path == "app" && both.tag == "v1" && both.digest != nil)
        #expect(both.tagged.string == "host:5000/app:v1")
    }

    @Test func familiarNames() throws {
        #expect(try ImageReference(parsing: "busybox").familiarName == "busybox")
        #expect(try ImageReference(parsing: "docker.io/library/a/b").familiarName == "library/a/b")
        #expect(try ImageReference(parsing: "ghcr.io/x/y").familiarName == "ghcr.io/x/y")
    }

    @Test(arguments: [
        "", "Busybox", "busybox:", "busybox:-x", "busybox:.x", "busy box", "-app", "app-", "a//b", "a/", "/a",
        "app@sha256:1234", "app@md5:abc", "a..b", "a___b", "host:port/app",
        String(repeating: "a", count: 64),
        "app:" + String(repeating: "t", count: 129),
    ])
    func rejects(_ input: String) {
        #expect(throws: ImageError.self) { try ImageReference(parsing: input) }
    }
}
