import Foundation
import HullLibvirt
import HullProtocol
@testable import HullRuntime
import Logging
import Testing

@Suite("Isolation mode and flag compatibility")
struct IsolationModeTests {
    @Test("the flag wins over HULL_ISOLATION, which wins over the default vm")
    func resolution() throws {
        #expect(try IsolationMode.resolve(flag: nil, environment: [:]) == .vm)
        #expect(try IsolationMode.resolve(flag: nil, environment: ["HULL_ISOLATION": "gvisor"]) == .gvisor)
        #expect(try IsolationMode.resolve(flag: "process", environment: ["HULL_ISOLATION": "gvisor"]) == .process)
        #expect(try IsolationMode.resolve(flag: "VM", environment: [:]) == .vm)
    }

    @Test("an unknown mode names where it came from")
    func unknown() {
        #expect(throws: IsolationError.unknownMode("kata", source: "--isolation")) {
            try IsolationMode.resolve(flag: "kata", environment: [:])
        }
        #expect(throws: IsolationError.unknownMode("x", source: "HULL_ISOLATION")) {
            try IsolationMode.resolve(flag: nil, environment: ["HULL_ISOLATION": "x"])
        }
    }

    @Test("guest-only flags are refused for gvisor and process, naming flag and mode", arguments: [IsolationMode.gvisor, .process])
    func guestFlags(mode: IsolationMode) throws {
        for flag in [ModeSpecificFlag.accel, .bootTimeout, .kernelArg] {
            do {
                try ModeSpecificFlag.check([flag], for: mode)
                Issue.record("\(flag.rawValue) was accepted for \(mode)")
            } catch {
                #expect(error.description.contains(flag.rawValue))
                #expect(error.description.contains("--isolation \(mode.rawValue)"))
            }
        }
        try ModeSpecificFlag.check([], for: mode)
    }

    @Test("the vm honours every mode-specific flag")
    func vmFlags() throws {
        try ModeSpecificFlag.check(Set(ModeSpecificFlag.allCases), for: .vm)
    }
}

@Suite("runsc platform choice")
struct RunscPlatformTests {
    let kvmHost = KVMProbe(kvmDevice: .usable, cpuFlags: ["vmx", "sse2"], vhostVsockAvailable: false)
    // These development hosts: /dev/kvm opens, but the CPU has no vmx/svm.
    let nestedHost = KVMProbe(kvmDevice: .usable, cpuFlags: ["hypervisor", "sse2"], vhostVsockAvailable: false)
    let all = Set(RunscPlatform.allCases)

    @Test("kvm only where a KVM guest would really run")
    func kvm() throws {
        #expect(try RunscPlatform.choose(probe: kvmHost, supported: all, environment: [:]).platform == .kvm)
        #expect(try RunscPlatform.choose(probe: nestedHost, supported: all, environment: [:]).platform == .systrap)
        let noDevice = KVMProbe(kvmDevice: .missing, cpuFlags: ["vmx"], vhostVsockAvailable: false)
        #expect(try RunscPlatform.choose(probe: noDevice, supported: all, environment: [:]).platform == .systrap)
    }

    @Test("systrap when this runsc has it, else ptrace (Debian 12's runsc)")
    func fallback() throws {
        let debian: Set<RunscPlatform> = [.ptrace, .kvm]
        let choice = try RunscPlatform.choose(probe: nestedHost, supported: debian, environment: [:])
        #expect(choice.platform == .ptrace)
        #expect(choice.reason.contains("no systrap"))
        #expect(try RunscPlatform.choose(probe: kvmHost, supported: [.ptrace], environment: [:]).platform == .ptrace)
    }

    @Test("HULL_RUNSC_PLATFORM overrides; nonsense is an error")
    func override() throws {
        #expect(try RunscPlatform.choose(probe: nestedHost, supported: all, environment: ["HULL_RUNSC_PLATFORM": "kvm"]).platform == .kvm)
        #expect(throws: IsolationError.self) {
            try RunscPlatform.choose(probe: nestedHost, supported: all, environment: ["HULL_RUNSC_PLATFORM": "fast"])
        }
    }
}

@Suite("OCI bundle per mode")
struct OCIBundleTests {
    func spec(_ flags: ContainerFlags = ContainerFlags()) throws -> RuntimeSpec {
        var f = flags
        if f.command.isEmpty { f.command = ["true"] }
        return try RuntimeSpecBuilder.build(image: .none, flags: f, hostname: "h")
    }

    @Test("-m and --cpus become linux.resources; none without them")
    func resources() throws {
        #expect(try spec().linux?.resources == nil)
        var flags = ContainerFlags()
        flags.memoryMiB = 64
        flags.cpus = 1.5
        let r = try spec(flags).linux?.resources
        #expect(r?.memory?.limit == Int64(64 * 1_048_576))
        #expect(r?.cpu?.quota == 150_000)
        #expect(r?.cpu?.period == 100_000)
    }

    @Test("helper directories are read-only bind mounts")
    func helpers() throws {
        var flags = ContainerFlags()
        flags.helperMounts = [HelperMount(source: "/var/lib/hull/probe", destination: "/.hull/probe")]
        let mount = try spec(flags).mounts.last
        #expect(mount?.destination == "/.hull/probe")
        #expect(mount?.source == "/var/lib/hull/probe")
        #expect(mount?.options?.contains("ro") == true)
        #expect(mount?.options?.contains("rbind") == true)
    }

    @Test("each driver names the probe where its boundary sees it")
    func helperSources() {
        let paths = HullPaths(home: URL(fileURLWithPath: "/h"))
        let logger = Logger(label: "test")
        #expect(VMDriver(guest: GuestConfig(), paths: paths, logger: logger).helperSource(.probe) == "/usr/lib/hull/probe")
        #expect(OCIRuntimeDriver(runtime: .runc, paths: paths, logger: logger).helperSource(.probe) == "/h/probe")
        #expect(VMDriver(guest: GuestConfig(), paths: paths, logger: logger).rootfsForm == .disk)
        #expect(OCIRuntimeDriver(runtime: .runsc(platform: .ptrace), paths: paths, logger: logger).rootfsForm == .directory)
    }

    @Test("runsc gets its platform and no network; runc no extra flags")
    func runtimeFlags() {
        #expect(OCIRuntime.runsc(platform: .ptrace).globalArguments == ["--platform=ptrace", "--network=none"])
        #expect(OCIRuntime.runc.globalArguments.isEmpty)
        #expect(OCIRuntime.runc.mode == .process)
        #expect(OCIRuntime.runsc(platform: .kvm).mode == .gvisor)
    }

    let accounts = ImageAccounts(
        passwd: "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nbad line\n",
        group: "root:x:0:\nwheel:x:10:root\nnogroup:x:65534:\n")

    @Test("user names are resolved from the image's files for runc/runsc")
    func userNames() throws {
        var flags = ContainerFlags()
        flags.user = "nobody"
        var s = try spec(flags)
        #expect(s.annotations?[RuntimeSpec.userAnnotation] == "nobody")
        try OCIBundle.resolveUser(in: &s, accounts: accounts)
        #expect(s.process.user.uid == 65534)
        #expect(s.process.user.gid == 65534)
        #expect(s.annotations == nil)
        #expect(s.process.env?.contains("HOME=/nonexistent") == true)

        var root = try spec()
        try OCIBundle.resolveUser(in: &root, accounts: accounts)
        #expect(root.process.user.uid == 0)
        #expect(root.process.user.additionalGids == [10])  // root's groups, as Docker gives them
    }

    @Test("an unknown user is an error, not root")
    func unknownUser() throws {
        var flags = ContainerFlags()
        flags.user = "ghost"
        var s = try spec(flags)
        #expect(throws: IsolationError.self) { try OCIBundle.resolveUser(in: &s, accounts: accounts) }
    }

    @Test("an account file that leaves the tree counts as missing")
    func escapingAccounts() throws {
        let tree = FileManager.default.temporaryDirectory.appendingPathComponent("hull-accounts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("etc"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tree) }
        try FileManager.default.createSymbolicLink(atPath: tree.appendingPathComponent("etc/passwd").path, withDestinationPath: "/etc/passwd")
        try "app:x:5:5::/app:/bin/sh\n".write(to: tree.appendingPathComponent("etc/group"), atomically: true, encoding: .utf8)
        let found = OCIBundle.accounts(in: tree)
        #expect(found.users.isEmpty)
        #expect(found.groups.map(\.name) == ["app"])
    }

    @Test("rlimits above hull's own are lowered when hull cannot raise them")
    func rlimits() {
        let limits = [RuntimeSpec.Rlimit(type: "RLIMIT_NOFILE", hard: 1_048_576, soft: 1_048_576),
                      RuntimeSpec.Rlimit(type: "RLIMIT_NPROC", hard: 10, soft: 10)]
        let clamped = HostLimits.clamp(limits, ceiling: ["RLIMIT_NOFILE": 20_000])
        #expect(clamped[0].hard == 20_000 && clamped[0].soft == 20_000)
        #expect(clamped[1] == limits[1])
        #expect(HostLimits.canRaiseLimits(status: "CapEff:\t000001ffffffffff\n"))
        #expect(!HostLimits.canRaiseLimits(status: "CapEff:\t000001fffeffffff\n"))
    }
}

@Suite("Runtime messages")
struct RuntimeMessageTests {
    @Test("runc's not-found message maps to 127, as the agent's does")
    func runcNotFound() {
        let runc = #"time="2026-11-23T23:35:10Z" level=error msg="runc create failed: unable to start container process: exec: \"nope\": executable file not found in $PATH""#
        let message = OCIRuntime.startFailure(runc)
        #expect(message.hasPrefix("exec \"nope\": No such file or directory"))
        #expect(RunError.startFailed(message).exitCode == 127)
    }

    @Test("runsc's not-found and runc's permission messages")
    func others() {
        let runsc = #"starting container: starting root container: starting sandbox: error finding executable "nope" in PATH [/bin]: no such file or directory"#
        #expect(RunError.startFailed(OCIRuntime.startFailure(runsc)).exitCode == 127)
        let denied = #"msg="runc create failed: unable to start container process: exec: \"/etc/passwd\": permission denied""#
        let message = OCIRuntime.startFailure(denied)
        #expect(message.hasPrefix("exec \"/etc/passwd\": Permission denied"))
        #expect(RunError.startFailed(message).exitCode == 126)
        #expect(RunError.startFailed(OCIRuntime.startFailure("cgroup: no space left")).exitCode == 125)
    }
}

@Suite("Probe output")
struct ProbeOutputTests {
    @Test("key: value lines in order; junk skipped; first value wins")
    func parse() {
        let report = ProbeReport.parse("kernel: 6.1.0\nnoise without separator\nkernel: again\npids visible: 1\n: empty key\n")
        #expect(report.entries.map(\.key) == ["kernel", "pids visible"])
        #expect(report["kernel"] == "6.1.0")
        #expect(report["pids visible"] == "1")
        #expect(report["missing"] == nil)
    }

    @Test("a hostile probe cannot make the report unbounded")
    func bounded() {
        let many = (0..<10_000).map { "k\($0): v" }.joined(separator: "\n")
        #expect(ProbeReport.parse(many).entries.count == ProbeReport.maxLines)
        let long = ProbeReport.parse("key: " + String(repeating: "x", count: 100_000))
        #expect((long["key"]?.count ?? 0) < ProbeReport.maxLineLength)
    }

    @Test("the table has a column per source and a row per key")
    func table() {
        let vm = ProbeReport.parse("kernel: 6.1\nkernel same as host: no\n")
        let host = ProbeReport.parse("kernel: 6.18\nkernel same as host: yes\ndmesg: readable\n")
        let text = ProbeTable(columns: [("vm", .success(vm)), ("gvisor", .failure(ProbeFailure("runsc missing"))),
                                        ("host", .success(host))]).markdown()
        let lines = text.split(separator: "\n")
        #expect(lines[0].contains("vm") && lines[0].contains("gvisor") && lines[0].contains("host"))
        #expect(lines.contains { $0.contains("dmesg") && $0.contains("readable") && $0.contains("—") })
        #expect(text.contains("gvisor: runsc missing"))
    }

    @Test("probe loop figures and sample statistics")
    func figures() throws {
        #expect(try IsolationBench.figure(in: "syscalls: 100000 ns-per-call: 131.5\n") == 131.5)
        #expect(try IsolationBench.figure(in: "fileio: 10 us-per-file: 18.3") == 18.3)
        #expect(throws: ProbeFailure.self) { try IsolationBench.figure(in: "hello") }
        #expect(Samples([3, 1, 2]).median == 2)
        #expect(Samples([4, 1, 2, 3]).median == 2.5)
        #expect(Samples([1, 2, 3]).formatted() == "2.0 (1.0–3.0)")
        #expect(Samples([]).formatted() == "—")
    }
}
