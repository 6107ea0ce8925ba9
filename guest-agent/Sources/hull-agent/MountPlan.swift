import CAgentSupport
import Glibc
import HullProtocol

/// One entry of the spec's `mounts`, checked and translated for the child.
struct MountPlan {
    let destination: String
    let type: String
    let source: String
    let options: MountOptions
    /// A bind of something that is not a directory: its mount point is a file.
    let isFile: Bool

    var isBind: Bool { options.bind }
    /// The data string the kernel gets (nil when empty).
    var data: String? { options.data.isEmpty ? nil : options.data.joined(separator: ",") }
    /// What error messages call it: `mount tmpfs on /run`.
    var label: String { isBind ? "bind mount of \(source) on \(destination)" : "mount \(type) on \(destination)" }

    init(_ mount: RuntimeSpec.Mount) throws(AgentError) {
        // Runtime spec 1.1: a relative destination is relative to /.
        let destination = mount.destination.hasPrefix("/") ? mount.destination : "/" + mount.destination
        guard destination.split(separator: "/").allSatisfy({ $0 != ".." }) else {
            throw AgentError("mount \(mount.destination): the destination must not contain \"..\"")
        }
        let options = try MountOptions(mount.options, destination: destination)
        var type = mount.type ?? ""
        if type == "bind" || (type.isEmpty && options.bind) {
            type = "bind"
        }
        if type == "bind" || options.bind {
            guard let source = mount.source, source.hasPrefix("/") else {
                throw AgentError("mount \(destination): a bind mount needs an absolute source in the guest")
            }
            guard options.data.isEmpty else {
                throw AgentError("mount \(destination): bind mounts take no filesystem options (\(options.data.joined(separator: ",")))")
            }
            var info = stat()
            guard stat(source, &info) == 0 else {
                throw AgentError("mount \(destination): \(SystemError("bind source \(source)"))")
            }
            var bindOptions = options
            bindOptions.bind = true
            self.init(destination: destination, type: "bind", source: source, options: bindOptions,
                      isFile: info.st_mode & S_IFMT != S_IFDIR)
            return
        }
        guard !type.isEmpty else {
            throw AgentError("mount \(destination): no type (and not a bind mount)")
        }
        // The guest has one cgroup hierarchy, version 2, and it is the container's.
        if type == "cgroup" { type = "cgroup2" }
        self.init(destination: destination, type: type, source: mount.source ?? type, options: options, isFile: false)
    }

    private init(destination: String, type: String, source: String, options: MountOptions, isFile: Bool) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
        self.isFile = isFile
    }
}
