import Foundation
import HullLibvirt
import HullModel
import HullRuntime
import Logging

/// The engine every API face drives: containers (with their execs, logs and volumes) and
/// images, over one state store. It owns the VM plumbing too — the libvirt connection,
/// when libvirtd is reachable, and its lifecycle events — so a face never sees libvirt,
/// and a host with only runc/runsc runs it without.
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
    private let watcher: DomainEventWatcher?

    /// Opens the state store and, when it can, libvirt; then takes over what the
    /// previous engine over the same state left running (ContainerManager.reconcile).
    package init(_ options: Options, logger: Logger) async throws {
        LibvirtEventLoop.started
        // Without libvirt the engine still serves gvisor and process containers; vm ones
        // are refused until an engine starts with libvirtd up.
        let libvirt: LibvirtConnection?
        do {
            libvirt = try LibvirtConnection()
        } catch {
            logger.warning("libvirt is not reachable: --isolation vm is unavailable until hulld restarts with libvirtd running (scripts/setup.sh starts it); gvisor and process work",
                           metadata: ["error": "\(error)"])
            libvirt = nil
        }
        let store = try StateStore(path: options.paths.home.appendingPathComponent("hulld.sqlite").path)
        let containers = ContainerManager(store: store, paths: options.paths, libvirt: libvirt, logger: logger,
                                          defaultIsolation: options.defaultIsolation)
        await containers.reconcile()
        watcher = try libvirt.map { connection in
            try DomainEventWatcher(connection: connection) { domain, event in
                containers.domainEvent(domain, event)
            }
        }
        self.containers = containers
        images = ImageService(paths: options.paths, logger: logger, insecureRegistries: options.insecureRegistries)
    }

    /// The engine's host process exits: the containers that would not survive it
    /// (runc/runsc) are stopped, and with `everything` every other one too.
    package func shutdown(stoppingEverything everything: Bool) async {
        await containers.stopAll(evenThoseThatOutliveHulld: everything)
        withExtendedLifetime(watcher) {}
    }
}
