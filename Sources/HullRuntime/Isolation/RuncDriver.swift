extension OCIRuntime {
    /// `--isolation process`: runc, namespaces and cgroups on the host's kernel. The
    /// container gets its own network namespace with loopback only (as a guest has no
    /// network device).
    public static let runc = OCIRuntime(mode: .process, tool: "runc", package: "runc", globalArguments: [])
}
