import Testing
@testable import HullLibvirt

@Suite("KVM probe and acceleration choice")
struct AccelerationChoiceTests {
    static func cpuinfo(_ flags: String, processors: Int = 2) -> String {
        (0..<processors).map { n in
            """
            processor\t: \(n)
            vendor_id\t: GenuineIntel
            model name\t: Intel(R) Xeon(R) CPU
            flags\t\t: \(flags)
            bugs\t\t: spectre_v1
            power management:

            """
        }.joined(separator: "\n")
    }

    static let intelVM = cpuinfo("fpu vme de pse tsc msr pae mce cx8 apic sep hypervisor lahf_lm")
    static let intelVTx = cpuinfo("fpu vme de pse tsc vmx est tm2 ssse3")
    static let amdV = cpuinfo("fpu vme de pse tsc svm extapic cr8_legacy")
    static let bareNoVT = cpuinfo("fpu vme de pse tsc msr pae")

    static func probe(_ cpuinfo: String?, kvm: KVMProbe.DeviceStatus = .usable, vsock: Bool = false) -> KVMProbe {
        KVMProbe(kvmDevice: kvm, cpuFlags: cpuinfo.flatMap(KVMProbe.cpuFlags(fromCPUInfo:)), vhostVsockAvailable: vsock)
    }

    static func decide(_ probe: KVMProbe, override: String? = nil, env: [String: String] = [:]) throws -> AccelerationChoice {
        try AccelerationChoice.decide(override: override, environment: env, probe: probe)
    }

    // MARK: parsing

    @Test func parsesFlagsCommonToAllProcessors() throws {
        let flags = try #require(KVMProbe.cpuFlags(fromCPUInfo: Self.intelVTx))
        #expect(flags.contains("vmx"))
        #expect(flags.contains("ssse3"))
        #expect(!flags.contains("GenuineIntel"))

        let mixed = "flags\t: fpu vmx sse\n\nflags\t: fpu sse\n"
        #expect(KVMProbe.cpuFlags(fromCPUInfo: mixed) == ["fpu", "sse"])
    }

    @Test func noFlagsLineGivesNil() {
        #expect(KVMProbe.cpuFlags(fromCPUInfo: "") == nil)
        // arm64 says "Features", which carries no vmx/svm.
        #expect(KVMProbe.cpuFlags(fromCPUInfo: "processor\t: 0\nFeatures\t: fp asimd evtstrm\n") == nil)
        // A key that merely contains "flags" is not the flags line.
        #expect(KVMProbe.cpuFlags(fromCPUInfo: "vmx flags\t: vnmi preemption_timer\n") == nil)
    }

    @Test func virtualizationFlag() {
        #expect(Self.probe(Self.intelVTx).virtualizationFlag == "vmx")
        #expect(Self.probe(Self.amdV).virtualizationFlag == "svm")
        #expect(Self.probe(Self.intelVM).virtualizationFlag == nil)
        #expect(Self.probe(Self.intelVM).isVirtualMachine)
        #expect(!Self.probe(Self.bareNoVT).isVirtualMachine)
    }

    // MARK: decision from the host

    @Test func kvmWhenDeviceUsableAndCPUHasVTx() throws {
        let choice = try Self.decide(Self.probe(Self.intelVTx))
        #expect(choice.domainType == .kvm)
        #expect(choice.origin == .probe)
        #expect(choice.reason.contains("vmx"))
        #expect(try Self.decide(Self.probe(Self.amdV)).domainType == .kvm)
    }

    /// The development hosts: /dev/kvm opens, the CPU has no vmx/svm, guests hang under KVM.
    @Test func tcgOnAVMWithoutNestedVirtualisation() throws {
        let choice = try Self.decide(Self.probe(Self.intelVM, kvm: .usable))
        #expect(choice.domainType == .qemu)
        #expect(choice.reason.hasPrefix("TCG: /proc/cpuinfo has no vmx/svm flags"))
        #expect(choice.reason.contains("itself a VM without nested virtualisation"))
    }

    @Test func tcgOnBareMetalWithoutVT() throws {
        let choice = try Self.decide(Self.probe(Self.bareNoVT))
        #expect(choice.domainType == .qemu)
        #expect(choice.reason.contains("firmware"))
    }

    @Test func tcgWithoutDevKVM() throws {
        let choice = try Self.decide(Self.probe(Self.intelVTx, kvm: .missing))
        #expect(choice.domainType == .qemu)
        #expect(choice.reason.contains("no /dev/kvm"))
    }

    @Test func tcgWhenDevKVMCannotBeOpened() throws {
        let choice = try Self.decide(Self.probe(Self.intelVTx, kvm: .unopenable("Permission denied")))
        #expect(choice.domainType == .qemu)
        #expect(choice.reason.contains("Permission denied"))
        #expect(choice.reason.contains("group kvm"))
    }

    @Test func tcgWhenCPUInfoIsUnreadable() throws {
        let choice = try Self.decide(Self.probe(nil))
        #expect(choice.domainType == .qemu)
        #expect(choice.reason.contains("cannot be confirmed"))
    }

    @Test func reportsVhostVsock() throws {
        #expect(try Self.decide(Self.probe(Self.intelVM, vsock: true)).vhostVsockAvailable)
        #expect(try !Self.decide(Self.probe(Self.intelVM, vsock: false)).vhostVsockAvailable)
    }

    // MARK: overrides

    @Test func environmentOverrides() throws {
        let forcedKVM = try Self.decide(Self.probe(Self.intelVM), env: ["HULL_ACCEL": "kvm"])
        #expect(forcedKVM.domainType == .kvm)
        #expect(forcedKVM.origin == .override(source: "HULL_ACCEL=kvm"))
        #expect(forcedKVM.reason.hasPrefix("KVM: forced by HULL_ACCEL=kvm (the host probe says TCG:"))

        let forcedTCG = try Self.decide(Self.probe(Self.intelVTx), env: ["HULL_ACCEL": "TCG"])
        #expect(forcedTCG.domainType == .qemu)
        #expect(forcedTCG.reason.hasPrefix("TCG: forced by HULL_ACCEL=TCG"))
        #expect(try Self.decide(Self.probe(Self.intelVTx), env: ["HULL_ACCEL": "qemu"]).domainType == .qemu)
    }

    @Test func parameterBeatsEnvironment() throws {
        let choice = try Self.decide(Self.probe(Self.intelVTx), override: "tcg", env: ["HULL_ACCEL": "kvm"])
        #expect(choice.domainType == .qemu)
        #expect(choice.origin == .override(source: "--accel tcg"))
        #expect(choice.reason == "TCG: forced by --accel tcg (the host probe says KVM: /dev/kvm is usable and the CPU has vmx (Intel VT-x))")
    }

    @Test func emptyOrAutoMeansDecideFromTheHost() throws {
        for value in ["", "  ", "auto", "AUTO"] {
            let choice = try Self.decide(Self.probe(Self.intelVM), override: value, env: ["HULL_ACCEL": value])
            #expect(choice.origin == .probe)
            #expect(choice.domainType == .qemu)
        }
    }

    @Test func badOverrideIsAClearError() {
        #expect(throws: AccelerationError.invalidOverride(source: "HULL_ACCEL=xen")) {
            try Self.decide(Self.probe(Self.intelVTx), env: ["HULL_ACCEL": "xen"])
        }
        #expect(throws: AccelerationError.invalidOverride(source: "--accel hvf")) {
            try Self.decide(Self.probe(Self.intelVTx), override: "hvf")
        }
        #expect(AccelerationError.invalidOverride(source: "HULL_ACCEL=xen").description
            == "HULL_ACCEL=xen is not an accelerator: use kvm or tcg (or leave it unset to decide from the host)")
    }

    @Test func forcingKVMWithoutDevKVMFails() {
        #expect(throws: AccelerationError.kvmUnavailable(source: "HULL_ACCEL=kvm")) {
            try Self.decide(Self.probe(Self.intelVTx, kvm: .missing), env: ["HULL_ACCEL": "kvm"])
        }
    }

    @Test func forcingKVMWhenDeviceIsNotOpenableIsHonoured() throws {
        // libvirt opens /dev/kvm as its own user, which may succeed where we could not.
        let choice = try Self.decide(Self.probe(Self.intelVTx, kvm: .unopenable("Permission denied")), override: "kvm")
        #expect(choice.domainType == .kvm)
    }

    /// The real host, read-only: whatever it says, the answer is consistent.
    @Test func realHostProbeIsConsistent() throws {
        let probe = KVMProbe.current()
        let choice = try AccelerationChoice.decide(override: nil, environment: [:], probe: probe)
        #expect(choice.origin == .probe)
        if choice.domainType == .kvm {
            #expect(probe.kvmDevice == .usable && probe.virtualizationFlag != nil)
        }
        #expect(!choice.reason.isEmpty)
    }
}
