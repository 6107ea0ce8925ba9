import HullRegistry
import Testing

@Suite("WWW-Authenticate parsing")
struct AuthChallengeTests {
    @Test("Docker Hub's Bearer challenge, scope with a comma inside quotes")
    func bearer() {
        let parsed = AuthChallenge.parse(#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push""#)
        #expect(parsed == [AuthChallenge(scheme: "bearer", parameters: [
            "realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/busybox:pull,push",
        ])])
    }

    @Test("Basic, case-insensitive scheme and parameter names, spaces around =")
    func basic() {
        #expect(AuthChallenge.parse(#"BASIC Realm = "basic-realm""#) == [AuthChallenge(scheme: "basic", parameters: ["realm": "basic-realm"])])
        #expect(AuthChallenge.parse("Basic") == [AuthChallenge(scheme: "basic", parameters: [:])])
    }

    @Test("several challenges in one header")
    func several() {
        let parsed = AuthChallenge.parse(#"Basic realm="a", Bearer realm="https://t/token",service=reg, Negotiate"#)
        #expect(parsed.map(\.scheme) == ["basic", "bearer", "negotiate"])
        #expect(parsed[1].parameters == ["realm": "https://t/token", "service": "reg"])
    }

    @Test("escaped quotes; unterminated and oversized headers give nothing harmful")
    func hostile() {
        #expect(AuthChallenge.parse(#"Bearer realm="a\"b""#).first?.realm == #"a"b"#)
        #expect(AuthChallenge.parse(#"Bearer realm="never ends"#).first?.realm == nil)
        #expect(AuthChallenge.parse("Bearer realm=\"" + String(repeating: "x", count: 10_000) + "\"").isEmpty)
        #expect(AuthChallenge.parse("").isEmpty)
        #expect(AuthChallenge.parse(",,, ,").isEmpty)
        #expect(AuthChallenge.parse("=== ===").isEmpty)
    }
}
