import Foundation
import FoundationXML
import Testing
@testable import HullLibvirt

@Suite("Domain XML rendering")
struct DomainXMLTests {
    static func baseSpec(_ type: DomainType = .qemu) -> DomainSpec {
        DomainSpec(name: "hull-t1", domainType: type, memoryMiB: 256, vcpus: 1,
                   kernel: "/var/lib/hull/vmlinuz", initrd: "/var/lib/hull/ir.cpio.gz",
                   cmdline: "console=ttyS0 quiet panic=-1")
    }

    static func parse(_ xml: String) throws -> XMLDocument {
        try XMLDocument(xmlString: xml)
    }

    static func values(_ doc: XMLDocument, _ xpath: String) throws -> [String] {
        try doc.nodes(forXPath: xpath).map { $0.stringValue ?? "" }
    }

    @Test func aNICIsAMacvtapPassthroughOnTheHostDevice() throws {
        var spec = Self.baseSpec()
        #expect(try Self.parse(DomainXML.render(spec)).nodes(forXPath: "/domain/devices/interface").isEmpty)
        spec.interfaces = [InterfaceSpec(source: .directPassthrough(device: "hv-0123456789ab"), mac: "02:48:55:4C:00:02")]
        try spec.validate()
        let doc = try Self.parse(DomainXML.render(spec))
        #expect(try Self.values(doc, "/domain/devices/interface/@type") == ["direct"])
        #expect(try Self.values(doc, "/domain/devices/interface/source/@dev") == ["hv-0123456789ab"])
        #expect(try Self.values(doc, "/domain/devices/interface/source/@mode") == ["passthrough"])
        #expect(try Self.values(doc, "/domain/devices/interface/mac/@address") == ["02:48:55:4c:00:02"])
        #expect(try Self.values(doc, "/domain/devices/interface/model/@type") == ["virtio"])
    }

    @Test func virtiofsSharesMakeMemorySharedAndAddFilesystems() throws {
        var spec = Self.baseSpec()
        let plain = try Self.parse(DomainXML.render(spec))
        #expect(try plain.nodes(forXPath: "/domain/memoryBacking").isEmpty, "no share, no shared memory")
        spec.filesystems = [FilesystemSpec(tag: "hullvol0", socketPath: "/var/lib/hull/run/t1/vfs0.sock"),
                            FilesystemSpec(tag: "hullvol1", socketPath: "/var/lib/hull/run/t1/vfs1.sock")]
        try spec.validate()
        let doc = try Self.parse(DomainXML.render(spec))
        #expect(try Self.values(doc, "/domain/memoryBacking/source/@type") == ["memfd"])
        #expect(try Self.values(doc, "/domain/memoryBacking/access/@mode") == ["shared"])
        #expect(try Self.values(doc, "/domain/devices/filesystem/driver/@type") == ["virtiofs", "virtiofs"])
        #expect(try Self.values(doc, "/domain/devices/filesystem/source/@socket")
            == ["/var/lib/hull/run/t1/vfs0.sock", "/var/lib/hull/run/t1/vfs1.sock"])
        #expect(try Self.values(doc, "/domain/devices/filesystem/target/@dir") == ["hullvol0", "hullvol1"])
        spec.filesystems.append(FilesystemSpec(tag: "hullvol0", socketPath: "relative.sock"))
        #expect(throws: DomainSpecError.self) { try spec.validate() }
    }

    @Test func minimalSpecHasTheVerifiedShape() throws {
        var spec = Self.baseSpec()
        spec.consoleLogPath = "/var/lib/hull/run/t1/console.log"
        spec.controlChannel = .virtioSerial(socketPath: "/var/lib/hull/run/t1/control.sock", name: "org.hull.control.0")
        let doc = try Self.parse(DomainXML.render(spec))

        #expect(try Self.values(doc, "/domain/@type") == ["qemu"])
        #expect(try Self.values(doc, "/domain/name") == ["hull-t1"])
        #expect(try Self.values(doc, "/domain/uuid").isEmpty)
        #expect(try Self.values(doc, "/domain/memory") == ["256"])
        #expect(try Self.values(doc, "/domain/memory/@unit") == ["MiB"])
        #expect(try Self.values(doc, "/domain/vcpu") == ["1"])
        #expect(try Self.values(doc, "/domain/os/type") == ["hvm"])
        #expect(try Self.values(doc, "/domain/os/type/@arch") == ["x86_64"])
        #expect(try Self.values(doc, "/domain/os/type/@machine") == ["pc"])
        #expect(try Self.values(doc, "/domain/os/kernel") == ["/var/lib/hull/vmlinuz"])
        #expect(try Self.values(doc, "/domain/os/initrd") == ["/var/lib/hull/ir.cpio.gz"])
        #expect(try Self.values(doc, "/domain/os/cmdline") == ["console=ttyS0 quiet panic=-1"])
        #expect(try doc.nodes(forXPath: "/domain/features/acpi").count == 1)
        #expect(try Self.values(doc, "/domain/clock/@offset") == ["utc"])
        #expect(try Self.values(doc, "/domain/on_poweroff") == ["destroy"])
        #expect(try Self.values(doc, "/domain/on_reboot") == ["destroy"])
        #expect(try Self.values(doc, "/domain/on_crash") == ["destroy"])
        #expect(try Self.values(doc, "/domain/devices/serial/@type") == ["file"])
        #expect(try Self.values(doc, "/domain/devices/serial/source/@path") == ["/var/lib/hull/run/t1/console.log"])
        #expect(try Self.values(doc, "/domain/devices/serial/target/@port") == ["0"])
        #expect(try doc.nodes(forXPath: "/domain/devices/console").isEmpty)
        #expect(try Self.values(doc, "/domain/devices/memballoon/@model") == ["none"])
        #expect(try Self.values(doc, "/domain/devices/controller[@type='usb']/@model") == ["none"])
        #expect(try doc.nodes(forXPath: "/domain/devices/graphics").isEmpty)
        #expect(try doc.nodes(forXPath: "/domain/devices/video").isEmpty)
        #expect(try doc.nodes(forXPath: "/domain/devices/disk").isEmpty)
        #expect(try doc.nodes(forXPath: "/domain/metadata").isEmpty)
    }

    @Test func kvmGetsHostPassthroughAndTCGGetsNoCPUElement() throws {
        let kvm = try Self.parse(DomainXML.render(Self.baseSpec(.kvm)))
        #expect(try Self.values(kvm, "/domain/@type") == ["kvm"])
        #expect(try Self.values(kvm, "/domain/cpu/@mode") == ["host-passthrough"])

        let tcg = try Self.parse(DomainXML.render(Self.baseSpec(.qemu)))
        #expect(try Self.values(tcg, "/domain/@type") == ["qemu"])
        #expect(try tcg.nodes(forXPath: "/domain/cpu").isEmpty)

        var maximum = Self.baseSpec(.qemu)
        maximum.cpuMode = .maximum
        #expect(try Self.values(try Self.parse(DomainXML.render(maximum)), "/domain/cpu/@mode") == ["maximum"])
    }

    @Test func machineUUIDAndSizes() throws {
        var spec = Self.baseSpec()
        spec.machine = .q35
        spec.uuid = UUID(uuidString: "4B1E4C9A-0D6F-4E59-9F0B-6A3C1D2E5F70")
        spec.memoryMiB = 1024
        spec.vcpus = 4
        let doc = try Self.parse(DomainXML.render(spec))
        #expect(try Self.values(doc, "/domain/os/type/@machine") == ["q35"])
        #expect(try Self.values(doc, "/domain/uuid") == ["4b1e4c9a-0d6f-4e59-9f0b-6a3c1d2e5f70"])
        #expect(try Self.values(doc, "/domain/memory") == ["1024"])
        #expect(try Self.values(doc, "/domain/vcpu") == ["4"])
    }

    @Test func optionalKernelPartsAreLeftOut() throws {
        var spec = Self.baseSpec()
        spec.initrd = nil
        spec.cmdline = ""
        let doc = try Self.parse(DomainXML.render(spec))
        #expect(try doc.nodes(forXPath: "/domain/os/initrd").isEmpty)
        #expect(try doc.nodes(forXPath: "/domain/os/cmdline").isEmpty)
        #expect(try doc.nodes(forXPath: "/domain/devices/serial").isEmpty)
        #expect(try doc.nodes(forXPath: "/domain/devices/channel").isEmpty)
        #expect(try doc.nodes(forXPath: "/domain/devices/vsock").isEmpty)
    }

    @Test func disks() throws {
        var spec = Self.baseSpec()
        spec.disks = [
            DiskSpec(path: "/run/c1/rootfs.qcow2", format: .qcow2, targetDevice: "vda"),
            DiskSpec(path: "/images/base.img", format: .raw, targetDevice: "vdb", readOnly: true),
        ]
        let doc = try Self.parse(DomainXML.render(spec))
        #expect(try Self.values(doc, "/domain/devices/disk/@type") == ["file", "file"])
        #expect(try Self.values(doc, "/domain/devices/disk/@device") == ["disk", "disk"])
        #expect(try Self.values(doc, "/domain/devices/disk/driver/@name") == ["qemu", "qemu"])
        #expect(try Self.values(doc, "/domain/devices/disk/driver/@type") == ["qcow2", "raw"])
        #expect(try Self.values(doc, "/domain/devices/disk/source/@file") == ["/run/c1/rootfs.qcow2", "/images/base.img"])
        #expect(try Self.values(doc, "/domain/devices/disk/target/@dev") == ["vda", "vdb"])
        #expect(try Self.values(doc, "/domain/devices/disk/target/@bus") == ["virtio", "virtio"])
        #expect(try doc.nodes(forXPath: "/domain/devices/disk[1]/readonly").isEmpty)
        #expect(try doc.nodes(forXPath: "/domain/devices/disk[2]/readonly").count == 1)
    }

    @Test func virtioSerialChannel() throws {
        var spec = Self.baseSpec()
        spec.controlChannel = .virtioSerial(socketPath: "/run/c1/control.sock", name: "org.hull.control.0")
        let doc = try Self.parse(DomainXML.render(spec))
        #expect(try Self.values(doc, "/domain/devices/channel/@type") == ["unix"])
        #expect(try Self.values(doc, "/domain/devices/channel/source/@mode") == ["bind"])
        #expect(try Self.values(doc, "/domain/devices/channel/source/@path") == ["/run/c1/control.sock"])
        #expect(try Self.values(doc, "/domain/devices/channel/target/@type") == ["virtio"])
        #expect(try Self.values(doc, "/domain/devices/channel/target/@name") == ["org.hull.control.0"])
        #expect(try doc.nodes(forXPath: "/domain/devices/vsock").isEmpty)
    }

    /// Issue 19: libvirt relabels nothing; QEMU runs as the given account.
    @Test func staticDACLabelWithoutRelabelling() throws {
        var spec = Self.baseSpec()
        #expect(try Self.parse(DomainXML.render(spec)).nodes(forXPath: "/domain/seclabel").isEmpty)
        spec.qemuAccount = DACLabel(uid: 64055, gid: 64056)
        let doc = try Self.parse(DomainXML.render(spec))
        #expect(try Self.values(doc, "/domain/seclabel/@type") == ["static"])
        #expect(try Self.values(doc, "/domain/seclabel/@model") == ["dac"])
        #expect(try Self.values(doc, "/domain/seclabel/@relabel") == ["no"])
        #expect(try Self.values(doc, "/domain/seclabel/label") == ["+64055:+64056"])
    }

    @Test func vsockChannelWithAutomaticAndFixedCID() throws {
        var spec = Self.baseSpec()
        spec.controlChannel = .vsock(cid: nil)
        var doc = try Self.parse(DomainXML.render(spec))
        #expect(try Self.values(doc, "/domain/devices/vsock/@model") == ["virtio"])
        #expect(try Self.values(doc, "/domain/devices/vsock/cid/@auto") == ["yes"])
        #expect(try Self.values(doc, "/domain/devices/vsock/cid/@address").isEmpty)
        #expect(try doc.nodes(forXPath: "/domain/devices/channel").isEmpty)

        spec.controlChannel = .vsock(cid: 42)
        doc = try Self.parse(DomainXML.render(spec))
        #expect(try Self.values(doc, "/domain/devices/vsock/cid/@auto") == ["no"])
        #expect(try Self.values(doc, "/domain/devices/vsock/cid/@address") == ["42"])
    }

    @Test func hullMetadataCarriesTheContainerID() throws {
        var spec = Self.baseSpec()
        spec.containerID = "c0ffee"
        let xml = DomainXML.render(spec)
        let doc = try Self.parse(xml)
        let container = try #require(try doc.nodes(forXPath: "/domain/metadata/*").first as? XMLElement)
        #expect(container.localName == "container")
        #expect(container.uri == HullMetadata.namespaceURI)
        let id = try #require(container.elements(forLocalName: "id", uri: HullMetadata.namespaceURI).first)
        #expect(id.stringValue == "c0ffee")
        #expect(HullMetadata.containerID(fromElement: xml) == "c0ffee")
    }

    static let hostile = "a<b>c&d'e\"f"

    @Test func everyStringIsEscaped() throws {
        let h = Self.hostile
        var spec = DomainSpec(name: "n-\(h)", domainType: .qemu, kernel: "/k/\(h)", initrd: "/i/\(h)",
                              cmdline: "init=/x \(h) msg='hi there'")
        spec.disks = [DiskSpec(path: "/d/\(h).qcow2", format: .qcow2)]
        spec.consoleLogPath = "/c/\(h).log"
        spec.controlChannel = .virtioSerial(socketPath: "/s/\(h).sock", name: "port\(h)")
        spec.containerID = "id-\(h)"
        let xml = DomainXML.render(spec)

        // Well-formed, and every value reads back exactly as given.
        let doc = try Self.parse(xml)
        #expect(try Self.values(doc, "/domain/name") == ["n-\(h)"])
        #expect(try Self.values(doc, "/domain/os/kernel") == ["/k/\(h)"])
        #expect(try Self.values(doc, "/domain/os/initrd") == ["/i/\(h)"])
        #expect(try Self.values(doc, "/domain/os/cmdline") == ["init=/x \(h) msg='hi there'"])
        #expect(try Self.values(doc, "/domain/devices/disk/source/@file") == ["/d/\(h).qcow2"])
        #expect(try Self.values(doc, "/domain/devices/serial/source/@path") == ["/c/\(h).log"])
        #expect(try Self.values(doc, "/domain/devices/channel/source/@path") == ["/s/\(h).sock"])
        #expect(try Self.values(doc, "/domain/devices/channel/target/@name") == ["port\(h)"])
        #expect(try Self.values(doc, "/domain/metadata/*/*") == ["id-\(h)"])
        #expect(HullMetadata.containerID(fromElement: xml) == "id-\(h)")
        // No raw specials outside markup.
        #expect(!xml.contains(h))
    }

    @Test func whitespaceInAttributesSurvivesAndInvalidCharactersAreReplaced() throws {
        var spec = Self.baseSpec()
        spec.consoleLogPath = "/c/tab\there\nnl"
        spec.cmdline = "a\u{0}b\u{1B}c"
        let doc = try Self.parse(DomainXML.render(spec))
        #expect(try Self.values(doc, "/domain/devices/serial/source/@path") == ["/c/tab\there\nnl"])
        #expect(try Self.values(doc, "/domain/os/cmdline") == ["a\u{FFFD}b\u{FFFD}c"])
    }

    @Test func renderingIsDeterministic() {
        var spec = Self.baseSpec()
        spec.containerID = "x"
        spec.disks = [DiskSpec(path: "/d.img", format: .raw)]
        #expect(DomainXML.render(spec) == DomainXML.render(spec))
    }
}
