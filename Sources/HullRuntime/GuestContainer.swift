import Foundation
import HullLibvirt
import HullProtocol
import Logging

/// A container's guest with its main process started: the steps `hull run` and hulld
/// share — root disk (image disk + per-container overlay), OCI runtime spec written to
/// the run folder as config.json, guest boot, process start.
public struct GuestContainer: Sendable {
    public let vm: GuestVM
    public let process: GuestProcess

    public init(vm: GuestVM, process: GuestProcess) {
        self.vm = vm
        self.process = process
    }

    /// `keepOverlay`: reuse the container's overlay when it exists (a restarted
    /// container keeps its file changes, as with Docker).
    public static func launch(id: ContainerID, options: RunOptions, runDirectory: URL, stdio: ProcessStdio,
                              paths: HullPaths, libvirt: LibvirtConnection, logger: Logger,
                              autodestroy: Bool = true, keepOverlay: Bool = false,
                              phase: (String) -> Void = { _ in }) async throws -> GuestContainer {
        let image = try GuestImage.locate(paths)
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        let disks = RootfsDiskBuilder(paths: paths)
        let (base, defaults) = try disks.baseDisk(for: options.rootfs, scratch: runDirectory)
        let hostname = options.container.hostname ?? id.short
        let runtimeSpec = try RuntimeSpecBuilder.build(
            image: defaults, flags: options.container, hostname: hostname, consoleSize: options.windowSize)
        let overlay = runDirectory.appendingPathComponent("rootfs.qcow2")
        if !(keepOverlay && FileManager.default.fileExists(atPath: overlay.path)) {
            try disks.overlay(base: base, at: overlay)
        }
        phase("root disk ready")

        // The container's OCI runtime spec, as the guest will execute it.
        try MessageCoding.prettyJSON(runtimeSpec).write(to: runDirectory.appendingPathComponent("config.json"))

        let vm = try await GuestVM.boot(id: options.name ?? id.short, config: options.guest, rootDisk: overlay,
                                        image: image, runDirectory: runDirectory, libvirt: libvirt,
                                        logger: logger, autodestroy: autodestroy)
        let spec = ProcessSpec(
            argv: runtimeSpec.process.args, env: runtimeSpec.process.env ?? [], cwd: runtimeSpec.process.cwd,
            rootDevice: "/dev/vda", stdin: options.interactive, terminal: options.container.tty,
            windowSize: options.windowSize, hostname: hostname, runtimeSpec: runtimeSpec)
        do {
            let process = try await vm.agent.start(spec, stdio: stdio)
            phase("process started")
            return GuestContainer(vm: vm, process: process)
        } catch AgentError.remote(let message) {
            vm.destroy()
            throw RunError.startFailed(message)
        } catch {
            vm.destroy()
            throw error
        }
    }
}
