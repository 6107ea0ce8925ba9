import Testing
@testable import HullLibvirt

@Suite("DomainSpec validation")
struct DomainSpecValidationTests {
    static func valid() -> DomainSpec {
        var spec = DomainSpec(name: "hull-abc", domainType: .qemu, kernel: "/k", initrd: "/i", cmdline: "console=ttyS0")
        spec.disks = [DiskSpec(path: "/d.qcow2", format: .qcow2)]
        spec.consoleLogPath = "/run/c/console.log"
        spec.controlChannel = .virtioSerial(socketPath: "/run/c/control.sock", name: "org.hull.control.0")
        return spec
    }

    static func problems(_ spec: DomainSpec) -> [String] {
        do {
            try spec.validate()
            return []
        } catch let error as DomainSpecError {
            return error.problems
        } catch {
            return ["unexpected \(error)"]
        }
    }

    @Test func aGoodSpecPasses() throws {
        try Self.valid().validate()
        var vsock = Self.valid()
        vsock.controlChannel = .vsock(cid: nil)
        try vsock.validate()
        vsock.controlChannel = .vsock(cid: 3)
        try vsock.validate()
    }

    @Test func reportsEachProblem() {
        var spec = Self.valid()
        spec.name = "a/b"
        spec.memoryMiB = 0
        spec.vcpus = 0
        spec.kernel = "relative/vmlinuz"
        spec.disks = [DiskSpec(path: "/a", format: .raw, targetDevice: "sda"),
                      DiskSpec(path: "/b", format: .raw, targetDevice: "vdb"),
                      DiskSpec(path: "/c", format: .raw, targetDevice: "vdb")]
        let problems = Self.problems(spec)
        #expect(problems.count == 6, "\(problems)")
        #expect(problems.contains { $0.contains("'/'") })
        #expect(problems.contains { $0.contains("memory") })
        #expect(problems.contains { $0.contains("vCPUs") })
        #expect(problems.contains { $0.contains("kernel must be an absolute path") })
        #expect(problems.contains { $0.contains("\"sda\"") })
        #expect(problems.contains { $0.contains("vdb is used twice") })
    }

    @Test func socketPathMustFitSunPath() {
        var spec = Self.valid()
        spec.controlChannel = .virtioSerial(socketPath: "/" + String(repeating: "x", count: 120), name: "p")
        let problems = Self.problems(spec)
        #expect(problems.count == 1)
        #expect(problems.first?.contains("shorter run directory") == true)
    }

    @Test func reservedVsockCIDs() {
        for cid: UInt32 in [0, 1, 2, .max] {
            var spec = Self.valid()
            spec.controlChannel = .vsock(cid: cid)
            #expect(Self.problems(spec).count == 1, "cid \(cid)")
        }
    }

    @Test func controlCharactersAreRejected() {
        var spec = Self.valid()
        spec.cmdline = "a\nb"
        spec.containerID = "x\u{0}"
        #expect(Self.problems(spec).count == 2)
        #expect(DomainSpecError(problems: ["p1", "p2"]).description == "invalid guest definition: p1; p2")
    }

    @Test func interfacesNeedASafeDeviceNameAndAUnicastMAC() {
        var spec = Self.valid()
        spec.interfaces = [InterfaceSpec(source: .directPassthrough(device: "hv-0123456789ab"), mac: "02:48:55:4C:00:02")]
        #expect(Self.problems(spec).isEmpty, "15 bytes, upper-case hex: fine")
        for device in ["", "hv-0123456789abc", "a b", "a/b", "a:b", "..", "hv\u{0}", "ethé"] {
            spec.interfaces = [InterfaceSpec(source: .directPassthrough(device: device), mac: "02:00:00:00:00:01")]
            #expect(Self.problems(spec).count == 1, "device \(device.debugDescription)")
        }
        for mac in ["", "02:00:00:00:00", "02:00:00:00:00:01:02", "03:00:00:00:00:01", "00:00:00:00:00:00",
                    "02:00:00:00:00:0g", "02-00-00-00-00-01", "+2:00:00:00:00:01", "02:00:00:00:00:01'"] {
            spec.interfaces = [InterfaceSpec(source: .directPassthrough(device: "hv-x"), mac: mac)]
            #expect(Self.problems(spec).count == 1, "MAC \(mac.debugDescription)")
        }
        spec.interfaces = [InterfaceSpec(source: .directPassthrough(device: "hv-x"), mac: "02:00:00:00:00:01"),
                           InterfaceSpec(source: .directPassthrough(device: "hv-x"), mac: "02:00:00:00:00:01")]
        let twice = Self.problems(spec)
        #expect(twice.count == 2, "\(twice)")
        #expect(twice.contains { $0.contains("hv-x is used by two") })
        #expect(twice.contains { $0.contains("used by two interfaces") && $0.contains("MAC") })
    }
}
