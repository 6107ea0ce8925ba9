import Foundation
import HullLibvirt
import HullProtocol

extension OCIRuntime {
    /// `--isolation gvisor`: runsc on `platform`. `--network=none`: the sandbox gets
    /// loopback only; a networked container gets `--network=host` together with its own
    /// network namespace (OCIRuntime.arguments(for:)).
    public static func runsc(platform: RunscPlatform) -> OCIRuntime {
        OCIRuntime(mode: .gvisor, tool: "runsc", package: "runsc",
                   globalArguments: ["--platform=\(platform.rawValue)", "--network=none"])
    }
}

extension OCIRuntime {
    /// The global flags for a container with this spec. runsc's own network stack
    /// (`--network=sandbox`) refuses to run in any namespace on this kernel (Debian 12's
    /// runsc tests for rmem_default, which every netns has on 6.x), so a networked gvisor
    /// container uses `--network=host` — the Sentry's sockets are host sockets — scoped to
    /// the network namespace the hub made for it. Never `--network=host` without that
    /// namespace in the spec: it would be the host's own network.
    public func arguments(for spec: RuntimeSpec) -> [String] {
        guard mode == .gvisor else { return globalArguments }
        let joins = spec.linux?.namespaces?.contains { $0.type == "network" && !($0.path ?? "").isEmpty } ?? false
        guard joins else { return globalArguments }
        return globalArguments.map { $0 == "--network=none" ? "--network=host" : $0 }
    }
}

/// How gVisor's sentry intercepts the container's system calls.
public enum RunscPlatform: String, Sendable, CaseIterable {
    /// Hardware virtualisation: fastest, but only where a KVM guest would really run.
    case kvm
    /// seccomp traps (runsc from 2023 on); faster than ptrace.
    case systrap
    /// ptrace: works everywhere, slowest.
    case ptrace

    public static let environmentVariable = "HULL_RUNSC_PLATFORM"

    /// kvm only where `KVMProbe` says a KVM guest would run (vmx/svm and a usable
    /// /dev/kvm: on these hosts /dev/kvm opens but runsc --platform=kvm hangs), else
    /// systrap when this runsc has it, else ptrace. `HULL_RUNSC_PLATFORM` overrides.
    public static func choose(probe: KVMProbe, supported: Set<RunscPlatform>,
                              environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(IsolationError) -> (platform: RunscPlatform, reason: String) {
        if let value = environment[environmentVariable], !value.isEmpty {
            guard let forced = RunscPlatform(rawValue: value) else {
                throw .unknownMode(value, source: "\(environmentVariable) (use kvm, systrap or ptrace)")
            }
            return (forced, "\(environmentVariable)=\(value)")
        }
        let verdict = probe.verdict
        if verdict.domainType == .kvm, supported.contains(.kvm) {
            return (.kvm, verdict.reason)
        }
        let noKVM = verdict.domainType == .kvm ? "this runsc has no kvm platform" : verdict.reason
        if supported.contains(.systrap) { return (.systrap, "systrap; no kvm: \(noKVM)") }
        return (.ptrace, "ptrace (this runsc has no systrap); no kvm: \(noKVM)")
    }

    /// The platforms the installed runsc knows: an unknown one makes even `runsc list`
    /// fail ("unknown platform"). Debian 12's runsc (20221219) has ptrace and kvm. The
    /// answer is kept in `cache` per runsc binary (size and mtime), as it costs ~60 ms.
    public static func supported(runsc: String, cache: URL) async -> Set<RunscPlatform> {
        let attributes = try? FileManager.default.attributesOfItem(atPath: runsc)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? 0
        let mtime = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let key = "\(runsc) \(size) \(Int64(mtime))"
        if let text = try? String(contentsOf: cache, encoding: .utf8) {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count >= 2, lines[0] == key {
                return Set(lines[1].split(separator: ",").compactMap { RunscPlatform(rawValue: String($0)) })
            }
        }
        var found: Set<RunscPlatform> = []
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hull-runsc-check-\(getpid())")
        for platform in allCases {
            let result = try? await ChildProcess.run(runsc, ["--root", root.path, "--platform=\(platform.rawValue)", "list"])
            if result?.status.code == 0 { found.insert(platform) }
        }
        try? FileManager.default.removeItem(at: root)
        try? FileManager.default.createDirectory(at: cache.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data("\(key)\n\(found.map(\.rawValue).sorted().joined(separator: ","))\n".utf8).write(to: cache, options: .atomic)
        return found
    }
}
