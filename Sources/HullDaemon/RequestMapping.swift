import Foundation
import HullAPI
import HullProtocol
import HullRuntime

/// A create request as `RunOptions`, checked the way `hull run` checks its flags.
enum RequestMapping {
    static func options(for request: CreateContainerRequest) throws -> RunOptions {
        do {
            try request.validate()
        } catch {
            throw DaemonError.badRequest(error.description)
        }

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
        // Bounded by validate(): no overflow, no trapping conversion.
        if let memory = request.memoryMiB { options.guest.memoryMiB = memory + GuestConfig.overheadMiB }
        if let cpus = request.cpus { options.guest.vcpus = InputLimits.vcpus(for: cpus) }
        options.guest.accelerationOverride = request.accel
        if let t = request.bootTimeout {
            options.guest.bootTimeout = InputLimits.duration(seconds: t, limit: InputLimits.maxBootSeconds)
        }
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
