import Foundation
import HullLibvirt
import HullProtocol
import Logging

/// `--isolation vm`: the container runs in its own guest (libvirt + QEMU, the Hull agent
/// as PID 1), from a qcow2 overlay over the image's ext4 disk.
public struct VMDriver: IsolationDriver {
    public var guest: GuestConfig
    public var paths: HullPaths
    public var logger: Logger

    public init(guest: GuestConfig, paths: HullPaths, logger: Logger) {
        self.guest = guest
        self.paths = paths
        self.logger = logger
    }

    public var mode: IsolationMode { .vm }
    public var rootfsForm: RootfsForm { .disk }

    /// The initramfs carries Hull's helpers under /usr/lib/hull (guest-agent/build-initramfs.sh).
    public func helperSource(_ directory: HelperDirectory) -> String { "/usr/lib/hull/\(directory.rawValue)" }

    /// The guest's kernel is the container's: the spec runs as it is.
    public func adapt(_ spec: inout RuntimeSpec) {}

    public func createSandbox(bundle: OCIBundle, name: String) async throws -> any Sandbox {
        guard case .disk(let overlay) = bundle.rootfs else {
            preconditionFailure("a guest boots from a disk; the bundle was made for another form")
        }
        let image = try GuestImage.locate(paths)
        let libvirt = try LibvirtConnection()
        let vm = try await GuestVM.boot(id: name, config: guest, rootDisk: overlay, image: image,
                                        runDirectory: bundle.directory, libvirt: libvirt, logger: logger)
        return VMSandbox(vm: vm, spec: bundle.spec)
    }
}

/// A booted guest holding one container.
final class VMSandbox: Sandbox {
    let vm: GuestVM
    let spec: RuntimeSpec

    init(vm: GuestVM, spec: RuntimeSpec) {
        self.vm = vm
        self.spec = spec
    }

    func start(stdio: ProcessStdio) async throws -> any ContainerProcess {
        let process = ProcessSpec(
            argv: spec.process.args, env: spec.process.env ?? [], cwd: spec.process.cwd,
            rootDevice: "/dev/vda", stdin: stdio.stdin != nil, terminal: spec.process.terminal ?? false,
            windowSize: spec.process.consoleSize.map { WindowSize(rows: $0.height, columns: $0.width) },
            hostname: spec.hostname, runtimeSpec: spec)
        do {
            return try await vm.agent.start(process, stdio: stdio)
        } catch AgentError.remote(let message) {
            throw RunError.startFailed(message)
        }
    }

    /// QEMU, as libvirt recorded its pid.
    func hostProcessIDs() -> [Int32] {
        let file = "/run/libvirt/qemu/\(vm.domainName).pid"
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return [] }
        return [pid]
    }

    var diagnostics: String {
        "--- guest console (last lines) ---\n\(vm.consoleLogTail)\n--- end of guest console ---"
    }

    func delete() async {
        await vm.stop()
    }
}
