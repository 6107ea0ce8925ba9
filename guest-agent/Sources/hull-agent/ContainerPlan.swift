import CAgentSupport
import HullProtocol

/// A runtime spec checked against what this agent honours, in the form the child needs.
/// Each field is applied, ignored on purpose, or rejected here with an error before
/// anything is mounted (docs/runtime-spec.md lists which).
struct ContainerPlan {
    struct Sysctl {
        let key: String
        let path: String
        let value: String
    }

    struct Rlimit {
        let name: String
        let resource: Int32
        let soft: UInt64
        let hard: UInt64
    }

    struct Capabilities {
        var bounding: UInt64 = 0
        var effective: UInt64 = 0
        var permitted: UInt64 = 0
        var inheritable: UInt64 = 0
        var ambient: UInt64 = 0
    }

    // linux/sched.h
    static let newMount: Int32 = 0x0002_0000
    static let newUTS: Int32 = 0x0400_0000
    static let newIPC: Int32 = 0x0800_0000
    static let newPID: Int32 = 0x2000_0000

    var cloneFlags: Int32
    var args: [String]
    var env: [String]
    var cwd: String
    var hostname: String?
    var mounts: [MountPlan]
    /// A tmpfs went on /dev: the child creates the standard device nodes and links.
    var populateDev: Bool
    var sysctls: [Sysctl]
    var maskedPaths: [String]
    var readonlyPaths: [String]
    var readonlyRoot: Bool
    var rlimits: [Rlimit]
    var umask: UInt32
    var noNewPrivileges: Bool
    var capabilities: Capabilities
    var lastCap: Int
    /// `org.hull.user`, resolved against the image once its disk is mounted.
    var userName: String?
    var numericUser: RuntimeSpec.User

    init(_ spec: RuntimeSpec, lastCap: Int) throws(AgentError) {
        guard spec.ociVersion.hasPrefix("1.") else {
            throw AgentError("ociVersion \(spec.ociVersion) is not supported (this agent runs 1.x specs)")
        }
        let process = spec.process
        guard let first = process.args.first, !first.isEmpty else { throw AgentError("process.args is empty") }
        guard process.cwd.hasPrefix("/") else {
            throw AgentError("process.cwd \"\(process.cwd)\" is not an absolute path")
        }
        let linux = spec.linux ?? RuntimeSpec.Linux()
        cloneFlags = try ContainerPlan.cloneFlags(linux.namespaces)
        args = process.args
        env = process.env ?? []
        cwd = process.cwd
        hostname = spec.hostname
        if hostname != nil && cloneFlags & ContainerPlan.newUTS == 0 {
            Log.info("hostname without a uts namespace: setting the guest's hostname")
        }
        mounts = []
        for mount in spec.mounts {
            mounts.append(try MountPlan(mount))
        }
        guard mounts.count <= Int(HULL_CONTAINER_MAX_MOUNTS) else {
            throw AgentError("mounts: \(mounts.count) mounts, at most \(HULL_CONTAINER_MAX_MOUNTS) are supported")
        }
        populateDev = mounts.contains { $0.destination == "/dev" && $0.type == "tmpfs" }
        sysctls = try ContainerPlan.sysctls(linux.sysctl)
        maskedPaths = try ContainerPlan.absolute(linux.maskedPaths, field: "linux.maskedPaths")
        readonlyPaths = try ContainerPlan.absolute(linux.readonlyPaths, field: "linux.readonlyPaths")
        readonlyRoot = spec.root.readonly ?? false
        rlimits = []
        for limit in process.rlimits ?? [] {
            rlimits.append(Rlimit(name: limit.type, resource: try RlimitNames.resource(limit.type),
                                  soft: limit.soft, hard: limit.hard))
        }
        umask = process.user.umask ?? 0o022
        noNewPrivileges = process.noNewPrivileges ?? false
        self.lastCap = lastCap
        capabilities = try ContainerPlan.capabilities(process.capabilities, lastCap: lastCap)
        userName = spec.annotations?[RuntimeSpec.userAnnotation].flatMap { $0.isEmpty ? nil : $0 }
        numericUser = process.user
    }

    /// CLONE_NEW* for linux.namespaces. The guest is the network boundary (one container
    /// per guest); user and cgroup namespaces and joining existing ones are not offered.
    static func cloneFlags(_ namespaces: [RuntimeSpec.Namespace]?) throws(AgentError) -> Int32 {
        var flags: Int32 = 0
        for namespace in namespaces ?? [] {
            if let path = namespace.path, !path.isEmpty {
                throw AgentError("linux.namespaces: joining the \(namespace.type) namespace at \(path) is not supported")
            }
            switch namespace.type {
            case "pid": flags |= newPID
            case "mount": flags |= newMount
            case "uts": flags |= newUTS
            case "ipc": flags |= newIPC
            case "network":
                Log.info("linux.namespaces: network ignored: the guest is the container's network boundary")
            case "user", "cgroup", "time":
                throw AgentError("linux.namespaces: a \(namespace.type) namespace is not supported")
            default:
                throw AgentError("linux.namespaces: unknown namespace type \"\(namespace.type)\"")
            }
        }
        guard flags & newMount != 0 else {
            throw AgentError("linux.namespaces: a mount namespace is required (the container's mounts must not change the guest's)")
        }
        return flags
    }

    static func capabilities(_ caps: RuntimeSpec.Capabilities?, lastCap: Int) throws(AgentError) -> Capabilities {
        guard let caps else { return Capabilities() }
        return Capabilities(
            bounding: try CapabilityNames.mask(caps.bounding, lastCap: lastCap, field: "bounding"),
            effective: try CapabilityNames.mask(caps.effective, lastCap: lastCap, field: "effective"),
            permitted: try CapabilityNames.mask(caps.permitted, lastCap: lastCap, field: "permitted"),
            inheritable: try CapabilityNames.mask(caps.inheritable, lastCap: lastCap, field: "inheritable"),
            ambient: try CapabilityNames.mask(caps.ambient, lastCap: lastCap, field: "ambient"))
    }

    /// "net.ipv4.ip_forward" → /proc/sys/net/ipv4/ip_forward. In a guest of its own every
    /// sysctl is the container's, so none is refused for not being namespaced.
    static func sysctls(_ values: [String: String]?) throws(AgentError) -> [Sysctl] {
        try (values ?? [:]).sorted { $0.key < $1.key }.map { (key, value) throws(AgentError) in
            let components = key.split(separator: ".", omittingEmptySubsequences: false)
            guard !key.isEmpty, components.allSatisfy({ !$0.isEmpty && $0 != ".." && !$0.contains("/") }) else {
                throw AgentError("linux.sysctl: invalid key \"\(key)\"")
            }
            return Sysctl(key: key, path: "/proc/sys/" + components.joined(separator: "/"), value: value)
        }
    }

    private static func absolute(_ paths: [String]?, field: String) throws(AgentError) -> [String] {
        for path in paths ?? [] where !path.hasPrefix("/") {
            throw AgentError("\(field): \"\(path)\" is not an absolute path")
        }
        return paths ?? []
    }
}
