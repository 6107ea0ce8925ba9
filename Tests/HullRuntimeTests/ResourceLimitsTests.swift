import HullProtocol
@testable import HullRuntime
import Testing

/// Limits as cgroup settings in the OCI spec, what each mode refuses, and the host's
/// cgroup files read for OOM kills.
@Suite("resource limits: spec, refusals, cgroup counters")
struct ResourceLimitsTests {
    func resources(memory: Int? = nil, swap: Int? = nil, cpus: Double? = nil, pids: Int? = nil) -> RuntimeSpec.Resources? {
        var flags = ContainerFlags()
        flags.memoryMiB = memory
        flags.memorySwapMiB = swap
        flags.cpus = cpus
        flags.pidsLimit = pids
        return RuntimeSpecBuilder.resources(flags)
    }

    @Test("memory and swap as Docker maps them: default swap = memory, -1 unlimited, total otherwise")
    func memorySwap() {
        #expect(resources(memory: 128)?.memory == .init(limit: 128 << 20, swap: 256 << 20))
        #expect(resources(memory: 128, swap: 128)?.memory == .init(limit: 128 << 20, swap: 128 << 20))
        #expect(resources(memory: 128, swap: 512)?.memory == .init(limit: 128 << 20, swap: 512 << 20))
        #expect(resources(memory: 128, swap: -1)?.memory == .init(limit: 128 << 20, swap: -1))
    }

    @Test("pids: a positive limit is written; 0 and -1 are unlimited (no resources at all)")
    func pids() {
        #expect(resources(pids: 50)?.pids == .init(limit: 50))
        #expect(resources(pids: 0) == nil)
        #expect(resources(pids: -1) == nil)
        #expect(resources(cpus: 0.5)?.cpu == .init(quota: 50_000, period: 100_000))
    }

    @Test("gvisor refuses --pids-limit; every mode takes the rest on a capable host")
    func modes() throws {
        let all = ResourceLimits(memoryMiB: 128, memorySwapMiB: 256, cpus: 1, pidsLimit: 50, storageSizeMiB: 64)
        #expect(throws: IsolationError.self) { try all.check(for: .gvisor, host: .capable) }
        for mode in [IsolationMode.vm, .process] { try all.check(for: mode, host: .capable) }
        var noPids = all
        noPids.pidsLimit = -1
        try noPids.check(for: .gvisor, host: .capable)
        do {
            try all.check(for: .gvisor, host: .capable)
        } catch {
            #expect(error.description.hasPrefix("--pids-limit cannot be enforced with --isolation gvisor"))
        }
    }

    @Test("host-dependent refusals: unaccounted swap, no loop devices (vm needs neither)")
    func host() throws {
        let swap = ResourceLimits(memoryMiB: 128, memorySwapMiB: 256)
        let unaccounted = HostResources(swapActive: true, swapAccounting: false, missingForStorage: nil)
        #expect(throws: IsolationError.self) { try swap.check(for: .process, host: unaccounted) }
        try swap.check(for: .vm, host: unaccounted)
        try ResourceLimits(memoryMiB: 128).check(for: .process, host: unaccounted)   // Docker's default: no refusal
        let noLoop = HostResources(swapActive: false, swapAccounting: true, missingForStorage: "no loop devices")
        let storage = ResourceLimits(storageSizeMiB: 64)
        #expect(throws: IsolationError.self) { try storage.check(for: .gvisor, host: noLoop) }
        try storage.check(for: .vm, host: noLoop)
    }

    @Test("oom_kill from cgroup v1 memory.oom_control and v2 memory.events")
    func counters() {
        #expect(HostCgroup.counter("oom_kill", in: "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n") == 3)
        #expect(HostCgroup.counter("oom_kill", in: "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n") == 1)
        #expect(HostCgroup.counter("oom_kill", in: "oom 1\n") == nil)
        #expect(HostCgroup.counter("oom_kill", in: "oom_kill x\n") == nil)
    }
}
