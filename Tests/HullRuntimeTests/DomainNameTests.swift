import Foundation
import HullAPI
import HullLibvirt
import Testing
@testable import HullRuntime

/// libvirt domain names are host-wide: each HULL_HOME names its guests apart
/// (`HullPaths.domainName(for:)`), so two hullds never collide or see each other's.
@Suite("domain names per HULL_HOME")
struct DomainNameTests {
    func paths(_ home: String) -> HullPaths { HullPaths(home: URL(fileURLWithPath: home)) }

    @Test("hull-<6 hex of HULL_HOME>-NAME: the same home names alike, another home apart")
    func perHome() throws {
        let a = paths("/var/lib/hull"), b = paths("/tmp/hull-daemon-test-1234abcd")
        #expect(a.domainName(for: "many0-0") == paths("/var/lib/hull").domainName(for: "many0-0"))
        #expect(a.domainName(for: "many0-0") != b.domainName(for: "many0-0"))
        #expect(a.domainName(for: "one") != a.domainName(for: "two"))
        let name = a.domainName(for: "many0-0")
        let hex = name.dropFirst("hull-".count).prefix(6)
        #expect(name == "hull-\(hex)-many0-0")
        #expect(hex.allSatisfy { "0123456789abcdef".contains($0) })
        // The hex is sha256 of the path's bytes, as `printf %s PATH | sha256sum` prints it.
        #expect(a.domainPrefix == "hull-" + (try sha256sum("/var/lib/hull")).prefix(6) + "-")
    }

    @Test("one home spelled differently (trailing /, `..`, a link to it) names alike")
    func canonicalHome() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("hull-domain-\(UUID().uuidString.prefix(8))")
        let home = base.appendingPathComponent("home"), link = base.appendingPathComponent("link")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: home)
        let expected = paths(home.path).domainName(for: "c")
        for spelling in [home.path + "/", base.path + "/x/../home", link.path] {
            #expect(paths(spelling).domainName(for: "c") == expected, "\(spelling)")
        }
        // A home not made yet names as it will once made.
        #expect(paths(base.path + "/later/").domainName(for: "c") == paths(base.path + "/later").domainName(for: "c"))
    }

    @Test("a home owns only its own domains: not another home's, not a pre-prefix hull-NAME")
    func owns() {
        let a = paths("/var/lib/hull"), b = paths("/var/lib/hull-domains")
        #expect(a.ownsDomain(a.domainName(for: "web")))
        #expect(!a.ownsDomain(b.domainName(for: "web")))
        #expect(!b.ownsDomain(a.domainName(for: "web")))
        #expect(!a.ownsDomain("hull-web"))
        #expect(!a.ownsDomain("hulltest-lv-1"))
    }

    @Test("the longest container name makes a domain name libvirt takes (DomainSpecValidation)")
    func validForLibvirt() throws {
        let longest = "a" + String(repeating: "Z9_.-", count: (InputLimits.maxNameLength - 1) / 5)
            + String(repeating: "b", count: (InputLimits.maxNameLength - 1) % 5)
        #expect(longest.count == InputLimits.maxNameLength)
        try InputCheck.containerName(longest)
        for home in ["/var/lib/hull", "/tmp/hull-daemon-test-1234abcd"] {
            for container in [longest, "x", "many0-0"] {
                let name = paths(home).domainName(for: container)
                #expect(name.utf8.count <= 12 + InputLimits.maxNameLength)
                let spec = DomainSpec(name: name, domainType: .qemu, kernel: "/k", initrd: "/i", cmdline: "console=ttyS0")
                #expect(throws: Never.self) { try spec.validate() }
            }
        }
    }

    func sha256sum(_ text: String) throws -> String {
        let p = Process(), input = Pipe(), output = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        try input.fileHandleForWriting.close()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return String(out.prefix(64))
    }
}
