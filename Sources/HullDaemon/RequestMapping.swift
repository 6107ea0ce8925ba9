import Foundation
import HullAPI
import HullProtocol
import HullRuntime

/// A create request as `RunOptions`, checked the way `hull run` checks its flags.
enum RequestMapping {
    static func options(for request: CreateContainerRequest) throws -> RunOptions {
        guard !request.image.isEmpty else { throw DaemonError.badRequest("image must not be empty") }
        if let name = request.name {
            let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
            guard allowed, let first = name.first, first.isLetter || first.isNumber, name.count <= 64 else {
                throw DaemonError.badRequest("invalid container name \"\(name)\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
            }
        }
        if let accel = request.accel, !["kvm", "tcg"].contains(accel) {
            throw DaemonError.badRequest("accel must be kvm or tcg, not \(accel)")
        }
        if let cpus = request.cpus, !(cpus > 0 && cpus <= 64) {
            throw DaemonError.badRequest("cpus must be more than 0 and at most 64")
        }
        if let memory = request.memoryMiB, memory < 16 {
            throw DaemonError.badRequest("memoryMiB \(memory) is too small: at least 16")
        }
        if let t = request.bootTimeout, !(t > 0) { throw DaemonError.badRequest("bootTimeout must be positive") }
        if let t = request.stopTimeout, !(t >= 0) { throw DaemonError.badRequest("stopTimeout must not be negative") }

        var options = RunOptions()
        options.rootfs = .image(request.image)
        options.interactive = request.openStdin
        var flags = ContainerFlags()
        flags.command = request.command
        flags.entrypoint = request.entrypoint
        flags.env = request.env
        flags.workdir = request.workdir
        flags.user = request.user
        flags.hostname = request.hostname
        flags.readOnly = request.readOnly
        flags.tmpfs = request.tmpfs
        flags.tty = request.tty
        flags.noNewPrivileges = request.noNewPrivileges
        // Cgroup limits under runc/runsc; the guest's size under vm (below).
        flags.memoryMiB = request.memoryMiB
        flags.cpus = request.cpus
        options.container = flags
        if let memory = request.memoryMiB { options.guest.memoryMiB = memory + GuestConfig.overheadMiB }
        if let cpus = request.cpus { options.guest.vcpus = Int(cpus.rounded(.up)) }
        options.guest.accelerationOverride = request.accel
        if let t = request.bootTimeout { options.guest.bootTimeout = .milliseconds(Int64(t * 1000)) }
        // A detached TTY has no terminal to ask; clients resize once they attach.
        if request.tty { options.windowSize = WindowSize(rows: 24, columns: 80) }
        return options
    }

    /// The request's flags that only some isolation modes honour.
    static func modeSpecificFlags(of request: CreateContainerRequest) -> Set<ModeSpecificFlag> {
        var given: Set<ModeSpecificFlag> = []
        if request.accel != nil { given.insert(.accel) }
        if request.bootTimeout != nil { given.insert(.bootTimeout) }
        return given
    }
}
