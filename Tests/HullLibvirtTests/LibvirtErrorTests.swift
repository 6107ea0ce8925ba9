import CLibvirt
import Testing
@testable import HullLibvirt

@Suite("LibvirtError classification")
struct LibvirtErrorTests {
    static func error(_ code: virErrorNumber, _ message: String) -> LibvirtError {
        LibvirtError(operation: "virConnectOpen(qemu:///system)", code: LibvirtError.code(code),
                     domain: 7, message: message)
    }

    @Test func daemonNotRunning() {
        let e = Self.error(VIR_ERR_SYSTEM_ERROR,
                           "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory")
        #expect(e.kind == .cannotConnect)
        #expect(e.description.contains("is libvirtd running?"))
        #expect(e.description.contains("virtlogd -d; libvirtd -d"))
        #expect(e.description.contains("scripts/setup.sh"))
        #expect(Self.error(VIR_ERR_SYSTEM_ERROR, "Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused").kind == .cannotConnect)
    }

    @Test func virtlogdNotRunning() {
        let e = LibvirtError(operation: "virDomainCreateXML", code: LibvirtError.code(VIR_ERR_SYSTEM_ERROR), domain: 7,
                             message: "Failed to connect socket to '/var/run/libvirt/virtlogd-sock': No such file or directory")
        #expect(e.kind == .cannotConnect)
        #expect(e.hint?.hasPrefix("virtlogd is not running") == true)
    }

    @Test func unknownURI() {
        let e = Self.error(VIR_ERR_NO_CONNECT, "no connection driver available for bogus:///x")
        #expect(e.kind == .noDriver)
        #expect(e.description.contains("check the connection URI"))
    }

    @Test func permissionDenied() {
        let cases = [
            Self.error(VIR_ERR_SYSTEM_ERROR, "Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied"),
            Self.error(VIR_ERR_AUTH_UNAVAILABLE, "authentication unavailable: no polkit agent available to authenticate action 'org.libvirt.unix.manage'"),
            Self.error(VIR_ERR_INTERNAL_ERROR, "internal error: Unable to get system bus connection: Could not connect: No such file or directory"),
            Self.error(VIR_ERR_ACCESS_DENIED, "access denied"),
        ]
        for e in cases {
            #expect(e.kind == .permissionDenied, "\(e)")
            #expect(e.description.contains("run as root"))
        }
    }

    @Test func guestFilesAreNotAConnectionProblem() {
        let storage = LibvirtError(operation: "virDomainCreateXML", code: LibvirtError.code(VIR_ERR_SYSTEM_ERROR), domain: 18,
                                   message: "Cannot access storage file '/root/d.qcow2' (as uid:64055, gid:64055): Permission denied")
        #expect(storage.kind == .fileAccess)
        #expect(storage.hint?.contains("libvirt-qemu") == true)
        let kernel = LibvirtError(operation: "virDomainCreateXML", code: LibvirtError.code(VIR_ERR_SYSTEM_ERROR), domain: 24,
                                  message: "unable to stat: /nonexistent/vmlinuz: No such file or directory")
        #expect(kernel.kind == .fileAccess)
    }

    @Test func domainErrors() {
        #expect(Self.error(VIR_ERR_NO_DOMAIN, "Domain not found: no domain with matching name 'x'").kind == .noDomain)
        #expect(Self.error(VIR_ERR_OPERATION_INVALID, "Requested operation is not valid: domain is not running").kind == .notRunning)
        #expect(Self.error(VIR_ERR_OPERATION_INVALID, "Requested operation is not valid: something else").kind == .other)
        #expect(Self.error(VIR_ERR_XML_DETAIL, "(domain_definition):2: Couldn't find end of Start Tag").kind == .invalidXML)
    }

    @Test func descriptionNamesTheCallCodeAndMessage() {
        let e = LibvirtError(operation: "virDomainCreateXML", code: 1, domain: 10, message: "internal error: boom")
        #expect(e.description == "libvirt: virDomainCreateXML failed: internal error: boom (code 1, domain 10)")
        #expect(e.hint == nil)
    }

    @Test func versionFormatting() {
        #expect(LibvirtConnection.format(version: 9_000_000) == "9.0.0")
        #expect(LibvirtConnection.format(version: 7_002_022) == "7.2.22")
    }
}
