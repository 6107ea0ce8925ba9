import Foundation
import HullProtocol
@testable import HullRuntime
import Testing

@Suite("exec processes, bundles kept for a restart, host usage")
struct ExecProcessTests {
    let base = RuntimeSpec.Process(
        terminal: false, user: RuntimeSpec.User(uid: 1000, gid: 100), args: ["sleep", "1000"],
        env: ["PATH=/bin", "MARK=c", "HOME=/home/u"], cwd: "/work",
        capabilities: RuntimeSpec.Capabilities(bounding: ["CAP_KILL"], effective: ["CAP_KILL"]), noNewPrivileges: true)

    @Test("an exec takes the container's user, capabilities and settings; its env adds to and replaces by key")
    func applied() {
        let exec = ExecProcess(args: ["sh", "-c", "env"], env: ["MARK=x", "WHO=b", "HOME"], cwd: nil)
        let p = exec.applied(to: base)
        #expect(p.args == ["sh", "-c", "env"])
        #expect(p.env == ["PATH=/bin", "MARK=x", "WHO=b", "HOME"])
        #expect(p.cwd == "/work", "no cwd keeps the container's")
        #expect(p.user == base.user)
        #expect(p.capabilities == base.capabilities)
        #expect(p.noNewPrivileges == true)
        #expect(p.terminal == false && p.consoleSize == nil)
    }

    @Test("cwd, user and a terminal with its size")
    func overrides() {
        let exec = ExecProcess(args: ["sh"], cwd: "/etc", terminal: true, windowSize: WindowSize(rows: 33, columns: 101),
                               user: RuntimeSpec.User(uid: 0, gid: 0))
        let p = exec.applied(to: base)
        #expect(p.cwd == "/etc")
        #expect(p.user.uid == 0 && p.user.gid == 0)
        #expect(p.terminal == true)
        #expect(p.consoleSize == RuntimeSpec.ConsoleSize(height: 33, width: 101))
        let empty = ExecProcess(args: ["true"], cwd: "").applied(to: base)
        #expect(empty.cwd == "/work")
    }

    @Test("a bundle left by an earlier start is found again; a half one is not")
    func existingBundle() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hull-bundle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try OCIBundle.existing(in: dir, form: .directory) == nil, "no config.json")
        let spec = RuntimeSpec(process: base)
        try MessageCoding.prettyJSON(spec).write(to: dir.appendingPathComponent("config.json"))
        #expect(try OCIBundle.existing(in: dir, form: .directory) == nil, "no rootfs yet")
        #expect(try OCIBundle.existing(in: dir, form: .disk) == nil, "no overlay yet")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("rootfs"), withIntermediateDirectories: true)
        let found = try #require(try OCIBundle.existing(in: dir, form: .directory))
        #expect(found.spec == spec)
        #expect(found.rootfs == .directory(dir.appendingPathComponent("rootfs")))
        try Data().write(to: dir.appendingPathComponent("rootfs.qcow2"))
        #expect(try OCIBundle.existing(in: dir, form: .disk)?.rootfs == .disk(dir.appendingPathComponent("rootfs.qcow2")))
        try Data("{".utf8).write(to: dir.appendingPathComponent("config.json"))
        #expect(try OCIBundle.existing(in: dir, form: .directory) == nil, "a spoiled config.json is not reused")
    }

    @Test("/proc/PID/stat: utime + stime after a command name with spaces and parentheses")
    func statParsing() {
        let line = "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 100 1000 50"
        #expect(HostUsage.parseStat(line) == 325)
        #expect(HostUsage.parseStat("garbage") == 0)
        #expect(HostUsage.parseStat("1 (x) S 1") == 0)
        let me = HostUsage.of([getpid()])
        #expect(me.residentBytes > 0, "this test process has resident memory")
    }

    @Test("modes with their own kernel; which drivers outlive hull")
    func modeFacts() {
        #expect(IsolationMode.vm.hasOwnKernel && IsolationMode.gvisor.hasOwnKernel && !IsolationMode.process.hasOwnKernel)
        #expect(OCIRuntime.runsc(platform: .ptrace).signalsExecByInternalPID)
        #expect(!OCIRuntime.runc.signalsExecByInternalPID)
        #expect(SandboxError.toolMissing("tar", mode: .process).description.contains("needs `tar` in the container's image"))
    }
}

@Suite("hull bench table and chart")
struct BenchTableTests {
    @Test("exec latency is reported per mode with its spread; a failed mode says why; the chart draws every column")
    func execLatencyRow() {
        var result = IsolationBench.Result()
        result.columns = ["vm", "gvisor", "process", "host"]
        result.samples["vm"] = [.execLatency: Samples([70, 60, 80])]
        result.samples["process"] = [.execLatency: Samples([20, 25, 30]), .coldStart: Samples([100])]
        result.samples["host"] = [.execLatency: Samples([1.5, 2.5, 2])]
        result.failures["gvisor"] = "runsc not found: install the Debian package runsc"
        let table = result.markdown(runs: 3)
        let row = table.split(separator: "\n").first { $0.contains("exec latency (ms)") } ?? ""
        #expect(row.contains("70.0 (60.0–80.0)"))
        #expect(row.contains("25.0 (20.0–30.0)"))
        #expect(row.contains("2.0 (1.5–2.5)"))
        #expect(row.contains("failed: runsc not found"))
        #expect(!table.contains("needs hulld"))
        let svg = BenchChart.svg(result, title: "t")
        #expect(svg.contains(">70<") || svg.contains(">70.0<"))
        #expect(svg.contains(">process<") && svg.contains(">host<"))
    }
}

@Suite("bundles for runc and runsc")
struct RuntimeBundleTests {
    @Test("each runc/runsc container gets its own cgroup, named after its run folder")
    func cgroupPerContainer() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("hull-cg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let source = base.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source.appendingPathComponent("etc"), withIntermediateDirectories: true)
        try Data("root:x:0:0:root:/root:/bin/sh\n".utf8).write(to: source.appendingPathComponent("etc/passwd"))
        let paths = HullPaths(home: base.appendingPathComponent("home"))
        let driver = OCIRuntimeDriver(runtime: .runc, paths: paths, logger: .init(label: "test"))
        var options = RunOptions()
        options.rootfs = .directory(source)
        options.container.command = ["true"]
        var specs: [RuntimeSpec] = []
        for name in ["aaaaaaaaaaaa", "bbbbbbbbbbbb"] {
            let dir = base.appendingPathComponent("run/\(name)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let bundle = try OCIBundle.make(options: options, hostname: "h", driver: driver, in: dir, paths: paths)
            specs.append(bundle.spec)
            let written = try JSONDecoder().decode(RuntimeSpec.self, from: Data(contentsOf: bundle.configURL))
            #expect(written.linux?.cgroupsPath == "/hull/\(name)")
        }
        #expect(specs.map { $0.linux?.cgroupsPath } == ["/hull/aaaaaaaaaaaa", "/hull/bbbbbbbbbbbb"])
    }
}

@Suite("hull top from outside the container")
struct ProcessTableTests {
    @Test("runsc's ps table: titles, rows, the last column keeps its spaces")
    func parse() {
        let text = """
            UID       PID       PPID      C         TTY       STIME     TIME      CMD
            0         1         0         0         ?         08:00     10ms      sh
            0         5         1         0         ?         08:00     0s        my cmd
            """
        let t = ProcessTable.parse(text)
        #expect(t.titles == ["UID", "PID", "PPID", "C", "TTY", "STIME", "TIME", "CMD"])
        #expect(t.rows == [["0", "1", "0", "0", "?", "08:00", "10ms", "sh"], ["0", "5", "1", "0", "?", "08:00", "0s", "my cmd"]])
        #expect(ProcessTable.parse("").rows.isEmpty)
    }

    @Test("host processes by pid: this one is listed with its parent and command; a gone pid is skipped")
    func hostRows() {
        let t = HostProcesses.table([getpid(), 0x3fff_fff0])
        #expect(t.titles == ["PID", "PPID", "UID", "STAT", "VSZ", "RSS", "COMMAND"])
        #expect(t.rows.count == 1)
        #expect(t.rows.first?[0] == "\(getpid())")
        #expect(t.rows.first?[1] == "\(getppid())")
        #expect(t.rows.first?[2] == "\(getuid())")
        #expect(t.rows.first?.last?.isEmpty == false)
    }
}
