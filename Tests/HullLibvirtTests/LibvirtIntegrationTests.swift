import Foundation
import Testing
@testable import HullLibvirt

#if canImport(Glibc)
import Glibc
#endif

/// Against the real libvirt daemon (qemu:///system): boots a guest kernel under the
/// accelerator Hull would choose. Needs root, a running libvirtd and the guest kernel
/// from scripts/setup.sh; each test fails with what to do when one is missing.
///
/// Domain names start with "hulltest-lv-", not "hull-", so other suites that count
/// Hull's own guests (to catch leaks) do not see these.
@Suite("libvirt, real daemon", .serialized)
struct LibvirtIntegrationTests {
    static var hullHome: String { ProcessInfo.processInfo.environment["HULL_HOME"] ?? "/var/lib/hull" }

    static func kernelPath() throws -> String {
        let path = hullHome + "/kernel/vmlinuz"
        try #require(FileManager.default.fileExists(atPath: path),
                     "no guest kernel at \(path): run scripts/setup.sh to fetch the guest kernel")
        return path
    }

    static func uniqueName() -> String {
        "hulltest-lv-" + UUID().uuidString.prefix(8).lowercased()
    }

    /// For the console log and control socket. Private to root on purpose: libvirt opens
    /// both itself and hands QEMU the descriptors (measured; only the kernel, initrd and
    /// disks are opened by QEMU as user libvirt-qemu).
    static func scratchDirectory() throws -> URL {
        let dir = URL(fileURLWithPath: "/tmp/hulltest-lv-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return dir
    }

    /// A guest that stays up until destroyed: no initrd, so the kernel panics at the
    /// root mount and, with panic=0, waits there.
    static func lingeringGuest(name: String, scratch: URL) throws -> DomainSpec {
        let accel = try AccelerationChoice.decide(override: nil)
        var spec = DomainSpec(name: name, domainType: accel.domainType, memoryMiB: 256, vcpus: 1,
                              kernel: try kernelPath(), cmdline: "console=ttyS0 panic=0 quiet")
        spec.consoleLogPath = scratch.appendingPathComponent("console.log").path
        spec.controlChannel = .virtioSerial(socketPath: scratch.appendingPathComponent("control.sock").path,
                                            name: "org.hull.control.0")
        spec.containerID = "lvtest-\(name)&<'\">"
        try spec.validate()
        return spec
    }

    static func waitUntil(timeout: Duration = .seconds(90), _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try condition()
    }

    static func canConnect(unixSocket path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
        }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }

    @Test func connectionBasics() throws {
        let conn = try LibvirtConnection()
        #expect(conn.uri == "qemu:///system")
        #expect(conn.isAlive)
        #expect(conn.libvirtVersion.split(separator: ".").count == 3)
        #expect(conn.hypervisorVersion.split(separator: ".").count == 3)
        #expect(LibvirtConnection.clientLibraryVersion.split(separator: ".").count == 3)
        let caps = try conn.capabilities()
        #expect(caps.contains("<capabilities>"))
        #expect(caps.contains("<domain type='qemu'"))
    }

    @Test func bootListDestroy() async throws {
        let conn = try LibvirtConnection()
        let name = Self.uniqueName()
        let scratch = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let spec = try Self.lingeringGuest(name: name, scratch: scratch)

        let domain = try conn.createTransient(xml: DomainXML.render(spec), autodestroy: true)
        defer { try? domain.destroy() }
        #expect(domain.name == name)
        #expect(UUID(uuidString: domain.uuidString) != nil)
        #expect(try domain.isActive())
        #expect(try domain.state() == .running)

        let listed = try #require(try conn.listDomains().first { $0.name == name }, "listDomains does not show \(name)")
        #expect(listed.uuid == domain.uuidString)
        #expect(listed.state == .running)
        #expect(listed.active)

        let found = try #require(try conn.lookup(name: name))
        #expect(found.uuidString == domain.uuidString)
        #expect(try conn.lookup(uuid: domain.uuidString)?.name == name)

        // The metadata round-trips through libvirt, escaping and all.
        #expect(try domain.hullContainerID() == spec.containerID)
        let live = try domain.xmlDescription()
        #expect(live.contains(HullMetadata.namespaceURI))
        #expect(live.contains("<on_reboot>destroy</on_reboot>"))

        // The guest really runs: the kernel writes to the console log, and QEMU listens
        // on the control socket.
        let console = spec.consoleLogPath!
        let booted = try await Self.waitUntil {
            ((try? String(contentsOfFile: console, encoding: .utf8)) ?? "").contains("Kernel panic")
        }
        #expect(booted, "the guest kernel never reached its root-mount panic; console: \((try? String(contentsOfFile: console, encoding: .utf8)) ?? "(none)")")
        #expect(Self.canConnect(unixSocket: scratch.appendingPathComponent("control.sock").path))

        try domain.destroy()
        #expect(try !domain.isActive())
        #expect(try domain.state() == .shutoff)
        #expect(try conn.lookup(name: name) == nil)
        #expect(try !conn.listDomains().contains { $0.name == name })
        // Destroying a guest that is already gone is not an error.
        try domain.destroy()
        try found.destroy()
    }

    @Test func autodestroyEndsTheGuestWithItsConnection() async throws {
        let observer = try LibvirtConnection()
        let name = Self.uniqueName()
        let scratch = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let spec = try Self.lingeringGuest(name: name, scratch: scratch)

        try {
            let owner = try LibvirtConnection()
            let domain = try owner.createTransient(spec, autodestroy: true)
            #expect(try domain.isActive())
            #expect(try observer.lookup(name: name) != nil)
        }()
        // Both the connection and its domain handle are released here.
        let gone = try await Self.waitUntil(timeout: .seconds(30)) { try observer.lookup(name: name) == nil }
        if !gone { try? observer.lookup(name: name)?.destroy() }
        #expect(gone, "\(name) outlived the connection that created it with autodestroy")
    }

    @Test func malformedXMLIsALibvirtErrorWithAMessage() throws {
        let conn = try LibvirtConnection()
        let error = try #require(throws: LibvirtError.self) {
            try conn.createTransient(xml: "<domain type='qemu'><name>broken", autodestroy: true)
        }
        #expect(error.kind == .invalidXML)
        #expect(error.operation == "virDomainCreateXML")
        #expect(!error.message.isEmpty)
        #expect(error.description.contains(error.message))
    }

    @Test func aMissingKernelIsRefusedWithThePath() throws {
        let conn = try LibvirtConnection()
        let spec = DomainSpec(name: Self.uniqueName(), domainType: .qemu, kernel: "/nonexistent/hull-test/vmlinuz")
        let error = try #require(throws: LibvirtError.self) {
            try conn.createTransient(xml: DomainXML.render(spec), autodestroy: true)
        }
        #expect(error.message.contains("/nonexistent/hull-test/vmlinuz"))
        #expect(error.kind == .fileAccess)
        #expect(try conn.lookup(name: spec.name) == nil)
    }

    @Test func anInvalidSpecIsRefusedBeforeLibvirtSeesIt() throws {
        let conn = try LibvirtConnection()
        let spec = DomainSpec(name: Self.uniqueName(), domainType: .qemu, vcpus: 0, kernel: "vmlinuz")
        let error = try #require(throws: DomainSpecError.self) {
            try conn.createTransient(spec, autodestroy: true)
        }
        #expect(error.problems.count == 2)
        #expect(try conn.lookup(name: spec.name) == nil)
    }

    @Test func lookupOfAnUnknownNameIsNil() throws {
        let conn = try LibvirtConnection()
        #expect(try conn.lookup(name: "hulltest-lv-no-such-domain") == nil)
        #expect(try conn.lookup(uuid: "00000000-0000-4000-8000-000000000000") == nil)
    }

    @Test func unreachableDaemonSaysWhatToDo() {
        let error = #expect(throws: LibvirtError.self) {
            try LibvirtConnection(uri: "qemu:///system?socket=/nonexistent/hull-test/libvirt-sock")
        }
        #expect(error?.kind == .cannotConnect)
        #expect(error?.description.contains("is libvirtd running?") == true)
    }
}
