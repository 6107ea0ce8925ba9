import ArgumentParser
import Foundation
import Glibc
import HullAPI
import HullClient
import HullImages
import HullProtocol
import HullRegistry
import HullRuntime
import Logging

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command in a new container: in its own guest VM, under gVisor, or as a plain process.",
        discussion: """
            IMAGE names an image in the store (`hull image ls`): `busybox` is built in; \
            others come from `hull image load`, or are pulled from their registry when the \
            store lacks them (--pull). Its Entrypoint, Cmd, Env, WorkingDir and \
            User are the defaults, merged with the flags the way Docker does. With --rootfs \
            the root filesystem comes from a directory or a tarball instead, and every \
            argument is the command.

            The container runs under hulld (started on first use), like every container: \
            it shows in `hull ps` while it runs. stdout and stderr arrive separately; \
            signals hull receives (Ctrl-C, SIGTERM, …) go to the container's process; hull \
            exits with the command's exit status (128+N when a signal N killed it, 125 when \
            hull itself failed, 126/127 when the command could not be executed or was not \
            found). With --rm the container and all its files are gone when hull returns; \
            without it the exited container stays (hull ps -a, hull logs, hull rm), as with \
            Docker. If hull itself dies, hulld kills the container (and with --rm removes it).

            -v/--mount share host folders and named volumes in every mode (docs/volumes.md); \
            a bind mount's host path must exist.

            --isolation chooses the boundary: vm (default; its own kernel in a QEMU guest), \
            gvisor (runsc: gVisor's user-space kernel) or process (runc: namespaces and \
            cgroups on the host's kernel). Same image, flags, stdio and exit status in \
            every mode; flags a mode cannot honour are refused before anything starts. \
            With -d (or hull create) and no --isolation or HULL_ISOLATION, hulld's default \
            applies (hulld --default-isolation, vm unless set).

            Examples:
              hull run --rm busybox echo hello
              hull run --rm --isolation gvisor busybox uname -a
              echo data | hull run --rm -i busybox sha256sum
              hull run --rm -it busybox sh
              hull run --rm --rootfs ./rootfs.tar /bin/sh -c 'cat /etc/os-release'
              hull run --rm -v "$PWD":/work -w /work busybox ls
              hull run --rm -v cache:/cache busybox sh -c 'date >> /cache/log'
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("rm"), help: "Remove the container when it exits (hulld does, also when hull itself died).")
    var remove = false

    @Flag(name: [.customShort("d"), .customLong("detach")], help: "Run in the background under hulld and print the container id (see hull logs/ps/stop/rm).")
    var detach = false

    @OptionGroup var daemon: DaemonOptions

    @Flag(name: [.customShort("i"), .customLong("interactive")], help: "Keep stdin open and send it to the command.")
    var interactive = false

    @Flag(name: [.customShort("t"), .customLong("tty")], help: "Allocate a terminal in the container (raw mode here, window size kept in step).")
    var tty = false

    @Option(name: [.customShort("e"), .customLong("env")], help: ArgumentHelp("Set an environment variable (KEY=VALUE, or KEY to copy it from here).", valueName: "KEY=VALUE"))
    var env: [String] = []

    @Option(name: .customLong("env-file"), help: ArgumentHelp("Read environment variables from a file, one KEY=VALUE per line.", valueName: "FILE"))
    var envFiles: [String] = []

    @Option(name: [.customShort("w"), .customLong("workdir")], help: "Working directory inside the container (default: the image's, else /).")
    var workdir: String?

    @Option(name: [.customShort("u"), .customLong("user")], help: ArgumentHelp("User to run as: name, uid, name:group or uid:gid (resolved in the image's /etc/passwd and /etc/group).", valueName: "USER"))
    var user: String?

    @Option(name: .customLong("entrypoint"), help: ArgumentHelp("Replace the image's entrypoint (\"\" clears it).", valueName: "CMD"))
    var entrypoint: String?

    @Option(name: .customLong("name"), help: "Name the container (its guest shows as hull-<6 hex of HULL_HOME>-NAME in `virsh list`).")
    var name: String?

    @Option(name: .customLong("hostname"), help: "Container host name (default: the short container id).")
    var hostname: String?

    @Flag(name: .customLong("read-only"), help: "Mount the container's root filesystem read-only.")
    var readOnly = false

    @Option(name: .customLong("tmpfs"), help: ArgumentHelp("Mount a tmpfs: PATH[:OPTIONS], e.g. /run:size=64m,mode=1777.", valueName: "PATH"))
    var tmpfs: [String] = []

    @Option(name: [.customShort("v"), .customLong("volume")], help: ArgumentHelp("Mount a host path or a named volume: /host/path:/ctr/path[:ro] (the host path must exist) or NAME:/ctr/path[:ro] (made on first use; see hull volume).", valueName: "SRC:DST[:ro]"))
    var volumes: [String] = []

    @Option(name: .customLong("mount"), help: ArgumentHelp("Mount as Docker's --mount says: type=bind|volume|tmpfs,source=…,target=…[,readonly][,tmpfs-size=64m].", valueName: "SPEC"))
    var mounts: [String] = []

    @Option(name: .customLong("ulimit"), help: ArgumentHelp("A resource limit of the container's processes, e.g. nofile=1024:2048 or nproc=64 (names as Docker's; -1 is unlimited).", valueName: "NAME=SOFT[:HARD]"))
    var ulimits: [String] = []

    @Option(name: .customLong("security-opt"), help: ArgumentHelp("Security options; supported: no-new-privileges[=true|false].", valueName: "OPT"))
    var securityOpts: [String] = []

    @Option(name: .customLong("rootfs"), help: ArgumentHelp("Use this root filesystem directory or tarball instead of an image.", valueName: "PATH"))
    var rootfs: String?

    @Option(name: .customLong("isolation"), help: ArgumentHelp("vm, gvisor or process (env HULL_ISOLATION; default vm, with -d hulld's default).", valueName: "MODE"))
    var isolation: String?

    @Option(name: [.customShort("m"), .customLong("memory")], help: ArgumentHelp("Memory limit of the container, e.g. 256m or 1g (minimum 16m): a cgroup limit in every mode (past it the OOM killer ends a process: exit 137, OOMKilled in hull inspect); under vm the guest gets 128m more for its kernel and agent (default: a 256m guest, the container held to what it has free).", valueName: "SIZE"))
    var memory: String?

    @Option(name: .customLong("memory-swap"), parsing: .unconditional, help: ArgumentHelp("Memory plus swap, as Docker counts it (needs --memory; equal to it: no swap; -1: unlimited swap; default: as much swap as memory). A guest has no swap.", valueName: "SIZE"))
    var memorySwap: String?

    @Option(name: .customLong("cpus"), help: ArgumentHelp("CPUs for the container, e.g. 1.5: a CPU-time quota in every mode; under vm also that many virtual CPUs, rounded up (default 1).", valueName: "N"))
    var cpus: Double?

    @Option(name: .customLong("pids-limit"), parsing: .unconditional, help: ArgumentHelp("At most N processes and threads in the container (0 or -1: unlimited); refused under gvisor, where runsc cannot enforce it.", valueName: "N"))
    var pidsLimit: Int?

    @Option(name: .customLong("log-opt"), help: ArgumentHelp("How much output hulld keeps: max-size=SIZE per log file (default 10m), max-file=N files (default 3); older output is dropped, so a container writing forever fills at most SIZE × N of HULL_HOME.", valueName: "max-size=SIZE|max-file=N"))
    var logOpts: [String] = []

    @Option(name: .customLong("storage-opt"), help: ArgumentHelp("size=SIZE: the container's writable layer is SIZE (minimum 16m); writes beyond it fail with ENOSPC and the host's disk use stays below it.", valueName: "size=SIZE"))
    var storageOpts: [String] = []

    @Option(name: .customLong("network"), help: ArgumentHelp("default: the default network (outbound connections through NAT, the host's name servers); none: loopback only.", valueName: "default|none"))
    var network: String?

    @Option(name: [.customShort("p"), .customLong("publish")], help: ArgumentHelp("Publish a container port on the host: [HOSTIP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp]. It listens on 127.0.0.1 unless HOSTIP is given (unlike Docker, never on every address by default); no HOSTPORT: a free one (see hull port).", valueName: "[HOSTIP:][HOSTPORT:]PORT"))
    var publish: [String] = []

    @Flag(name: [.customShort("P"), .customLong("publish-all")], help: "Publish every port the image EXPOSEs on a free port of 127.0.0.1.")
    var publishAll = false

    @Option(name: .customLong("egress"), help: ArgumentHelp("allow: connections may go anywhere but the host and link-local/metadata addresses (default); deny: nothing leaves the container except replies to its published ports.", valueName: "allow|deny"))
    var egress: String?

    @Option(name: .customLong("add-host"), help: ArgumentHelp("Add NAME to /etc/hosts. ADDRESS host-gateway is the host: connections to it reach the host's loopback (127.0.0.1) on the same port; without this the host is closed to the container.", valueName: "NAME:ADDRESS"))
    var addHosts: [String] = []

    @Option(name: .customLong("stop-timeout"), help: ArgumentHelp("Seconds a container may take to exit after hull forwards SIGINT/SIGTERM before it is killed.", valueName: "SECONDS"))
    var stopTimeout: Double = 10

    @Option(name: .customLong("accel"), help: ArgumentHelp("kvm or tcg (default: kvm when the CPU has vmx/svm and /dev/kvm is usable, else tcg; env HULL_ACCEL; vm only).", valueName: "kvm|tcg"))
    var accel: String?

    @Option(name: .customLong("boot-timeout"), help: ArgumentHelp("Seconds the guest may take to come up (default 30; vm only).", valueName: "SECONDS"))
    var bootTimeout: Double?

    @Option(name: .customLong("pull"), help: ArgumentHelp("Pull the image: missing (when not in the store), always, never.", valueName: "missing|always|never"))
    var pull: String = "missing"

    @Option(name: .customLong("platform"), help: ArgumentHelp("Platform to pull from a multi-platform image (default linux/amd64).", valueName: "OS/ARCH[/VARIANT]"))
    var platform: String?

    @OptionGroup var registry: RegistryFlags

    @Option(name: .customLong("kernel-arg"), help: .hidden)
    var kernelArgs: [String] = []

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("IMAGE and the command with its arguments.", valueName: "IMAGE COMMAND"))
    var arguments: [String] = []

    func validate() throws {
        // Passthrough capture takes everything from the first unknown word on, so a
        // leading --help lands here rather than in ArgumentParser's own handling.
        if let first = arguments.first, ["--help", "-h", "help"].contains(first) {
            throw CleanExit.helpRequest(self)
        }
        if rootfs == nil && arguments.isEmpty {
            throw ValidationError("missing IMAGE: try `hull run --rm busybox echo hello`")
        }
        guard ["missing", "always", "never"].contains(pull) else {
            throw ValidationError("--pull must be missing, always or never, not \(pull)")
        }
        // The same limits hulld checks (InputLimits), named as flags.
        let flagged: CreateContainerRequest
        do {
            flagged = try request(env: [])
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
        do {
            try flagged.spec.validate()
            try flagged.spec.checkConsistency()
        } catch {
            throw ValidationError(error.named(CreateRequestFlags.flag(for: error.field)).description)
        }
        do {
            try ModeSpecificFlag.check(modeSpecificFlags, for: try isolationMode())
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The mode asked for by --isolation or HULL_ISOLATION; nil leaves it to hulld's default.
    func requestedIsolation() throws(IsolationError) -> IsolationMode? {
        let fromEnvironment = ProcessInfo.processInfo.environment[IsolationMode.environmentVariable].map { !$0.isEmpty } ?? false
        return isolation != nil || fromEnvironment ? try isolationMode() : nil
    }

    /// The mode flags are checked against: the one asked for, else vm (hulld's default
    /// may differ; hulld checks again).
    func isolationMode() throws(IsolationError) -> IsolationMode {
        try IsolationMode.resolve(flag: isolation)
    }

    /// The mode-specific flags given on this command line.
    var modeSpecificFlags: Set<ModeSpecificFlag> {
        var given: Set<ModeSpecificFlag> = []
        if accel != nil { given.insert(.accel) }
        if bootTimeout != nil { given.insert(.bootTimeout) }
        if !kernelArgs.isEmpty { given.insert(.kernelArg) }
        return given
    }

    /// `-d`: the container, created and started by hulld; its id printed.
    func runDetached(_ request: CreateContainerRequest) async throws {
        let client = try await daemon.client()
        try await reportingErrors {
            let created: CreatedContainer
            do {
                created = try await client.call(.POST, "/v1/containers", json: request, expecting: CreatedContainer.self)
            } catch let error as DaemonClientError {
                // docker run: 125 when the container cannot be created (a limit its mode
                // cannot enforce, a missing image, …).
                FileHandle.standardError.write(Data("hull: \(error.message)\n".utf8))
                throw ExitCode(125)
            }
            do {
                _ = try await client.call(.POST, "/v1/containers/\(created.id)/start")
            } catch let error as DaemonClientError {
                // Docker keeps a container that failed to start; its state says why.
                throw DaemonClientError(status: error.status, message: "\(error.message) (container \(created.id.prefix(12)) kept: hull rm it)")
            }
            print(created.id)
        }
    }

    /// The create request, its image pulled first as --pull says (into the store hulld
    /// reads: the same HULL_HOME).
    func pulledCreateRequest() async throws -> CreateContainerRequest {
        global.bootstrapLogging()
        var request = try createRequest()
        if rootfs != nil { return request }
        do {
            request.image = try await imageToRun(request.image, logger: Logger(label: "hull"))
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("hull: \(error)\n".utf8))
            throw ExitCode(125)
        }
        return request
    }

    /// These flags as hulld's create request.
    func createRequest() throws -> CreateContainerRequest {
        try request(env: try envFiles.flatMap { try EnvFile.read($0) } + EnvFile.expand(env))
    }

    /// With --rootfs every argument is the command, and the image names the rootfs (an
    /// absolute path: hulld reads it on the same host).
    private func request(env: [String]) throws -> CreateContainerRequest {
        let rootfsPath = rootfs.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        return CreateContainerRequest(
            image: rootfsPath ?? arguments[0], command: rootfsPath == nil ? Array(arguments.dropFirst()) : arguments,
            entrypoint: entrypoint,
            env: env, workdir: workdir, user: user,
            name: name, hostname: hostname, readOnly: readOnly, tmpfs: tmpfs, tty: tty, openStdin: interactive,
            noNewPrivileges: try noNewPrivileges(), memoryMiB: try memory.map { try MemorySize.parseMiB($0) },
            cpus: cpus, stopTimeout: stopTimeout, accel: accel, bootTimeout: bootTimeout, autoRemove: remove,
            isolation: try requestedIsolation()?.rawValue, rootfs: rootfsPath, kernelArgs: kernelArgs,
            foreground: !detach, mounts: try MountFlags.parse(volumes: volumes, mounts: mounts),
            ulimits: try UlimitFlags.parse(ulimits), memorySwapMiB: try LimitFlags.memorySwapMiB(memorySwap),
            pidsLimit: pidsLimit, storageSizeMiB: try LimitFlags.storageSizeMiB(storageOpts),
            logMaxSize: try LimitFlags.logOptions(logOpts).maxSize, logMaxFiles: try LimitFlags.logOptions(logOpts).maxFiles,
            network: network, publish: try publish.map { try PortSpec.parse($0) }, publishAll: publishAll,
            egress: try egress.map { value throws -> EgressPolicy in
                guard let policy = EgressPolicy(rawValue: value) else {
                    throw ValidationError("--egress must be allow or deny, not \"\(value)\"")
                }
                return policy
            },
            extraHosts: try addHosts.map { try HostEntry.parse($0) })
    }

    func noNewPrivileges() throws -> Bool {
        var value = false
        for opt in securityOpts {
            switch opt {
            case "no-new-privileges", "no-new-privileges=true", "no-new-privileges:true": value = true
            case "no-new-privileges=false", "no-new-privileges:false": value = false
            default: throw ValidationError("--security-opt \(opt) is not supported (supported: no-new-privileges)")
            }
        }
        return value
    }

    func run() async throws {
        let request = try await pulledCreateRequest()
        if detach { return try await runDetached(request) }
        try await runForeground(request)
    }
}

extension RunCommand {
    /// The image to run, pulled first as --pull says: `missing` pulls a name the store
    /// lacks (the built-in busybox never), `always` pulls every time, `never` never.
    /// After a pull the image is named by its stored digest, which is what was pulled.
    func imageToRun(_ text: String, logger: Logger) async throws -> String {
        let client = try await daemon.client()
        do {
            switch pull {
            case "never":
                return text
            case "missing":
                let inspect = "/v1/images/inspect" + ImageClient.query([("name", text)])
                do {
                    _ = try await client.call(.GET, inspect)
                    return text
                } catch let missing as DaemonClientError where missing.isNotFound {
                    guard let reference = try? RegistryCLI.pullableReference(text) else { return text }
                    FileHandle.standardError.write(Data("Unable to find image '\(reference.familiar)' locally\n".utf8))
                    do {
                        return try await pullForRun(client, reference)
                    } catch {
                        throw RunImageError.notFound(local: missing.message, pull: error)
                    }
                }
            default:
                return try await pullForRun(client, try RegistryCLI.pullableReference(text))
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw RegistryCLI.fail(error, status: 125)
        }
    }

    private func pullForRun(_ client: DaemonClient, _ reference: ImageReference) async throws -> String {
        _ = try RegistryCLI.platform(platform)
        return try await ImageClient.pull(client, reference, platform: platform, flags: registry, quiet: false).imageDigest
    }
}

/// An image neither in the store nor pullable: both reasons, in one line.
enum RunImageError: Error, CustomStringConvertible {
    case notFound(local: String, pull: any Error)

    var description: String {
        switch self {
        case .notFound(let local, let pull): "\(local); pulling it failed: \(pull)"
        }
    }
}

enum MemorySize {
    /// Docker-style sizes: plain bytes or a b/k/m/g suffix.
    static func parseMiB(_ text: String) throws -> Int {
        try parseBytes(text) >> 20
    }

    static func parseBytes(_ text: String) throws -> Int {
        let lower = text.lowercased()
        let units: [(String, Double)] = [("g", 1_073_741_824), ("m", 1_048_576), ("k", 1024), ("b", 1)]
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            if let n = Double(lower.dropLast()), n > 0, n * factor < 1e15 { return Int(n * factor) }
            break
        }
        if let bytes = Double(lower), bytes > 0, bytes < 1e15 { return Int(bytes) }
        throw ValidationError("invalid size \(text): use e.g. 512m or 1g")
    }
}
