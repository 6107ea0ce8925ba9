import Foundation
import HullModel
import HullRuntime
import Logging

/// The engine every API face drives: containers (with their execs, logs and volumes) and
/// images, over one state store. What the isolation drivers need beside them (libvirt's
/// events: DriverMonitor) starts with it; no libvirt detail reaches the engine or a face,
/// and a host with only runc/runsc runs it.
package final class Engine: Sendable {
    package struct Options: Sendable {
        package var paths: HullPaths
        /// The isolation of containers whose spec names none.
        package var defaultIsolation = IsolationMode.defaultMode
        /// Registries pulls and pushes may reach over plain HTTP or unverified TLS.
        package var insecureRegistries: [String] = []

        package init(paths: HullPaths) {
            self.paths = paths
        }
    }

    package let containers: ContainerManager
    package let images: ImageService
    private let monitor: DriverMonitor

    /// Opens the state store and, when it can, libvirt; then takes over what the
    /// previous engine over the same state left running (ContainerManager.reconcile).
    package init(_ options: Options, logger: Logger) async throws {
        // Without libvirt the engine still serves gvisor and process containers; vm ones
        // are refused until an engine starts with libvirtd up.
        let monitor = DriverMonitor(logger: logger)
        let store = try StateStore(path: options.paths.home.appendingPathComponent("hulld.sqlite").path)
        let network = NetworkService(paths: options.paths, logger: logger)
        let containers = ContainerManager(store: store, paths: options.paths, unavailableModes: monitor.unavailable, logger: logger,
                                          defaultIsolation: options.defaultIsolation, network: network)
        await containers.reconcile()
        self.monitor = monitor
        self.containers = containers
        images = ImageService(paths: options.paths, logger: logger, insecureRegistries: options.insecureRegistries)
    }

    /// The engine's host process exits: the containers that would not survive it
    /// (runc/runsc) are stopped, and with `everything` every other one too.
    package func shutdown(stoppingEverything everything: Bool) async {
        await containers.stopAll(evenThoseThatOutliveHulld: everything)
        await containers.network?.shutdown()
        withExtendedLifetime(monitor) {}
    }
}
