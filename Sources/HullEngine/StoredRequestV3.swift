import Foundation
import HullModel

/// The create request as hulld stored it until migration v4 (the flat JSON body of
/// `POST /v1/containers`, records v1–v3), frozen here so that migration can read it
/// whatever the API's body becomes. Read only by StateStore's migration "v4: spec".
struct StoredRequestV3: Decodable {
    var image: String
    var command: [String]?
    var entrypoint: String?
    var env: [String]?
    var workdir: String?
    var user: String?
    var name: String?
    var hostname: String?
    var readOnly: Bool?
    var tmpfs: [String]?
    var tty: Bool?
    var openStdin: Bool?
    var noNewPrivileges: Bool?
    var memoryMiB: Int?
    var cpus: Double?
    var stopTimeout: Double?
    var accel: String?
    var bootTimeout: Double?
    var autoRemove: Bool?
    var isolation: String?
    var rootfs: String?
    var kernelArgs: [String]?
    var foreground: Bool?
    var mounts: [MountSpec]?
    var ulimits: [UlimitSpec]?
    var memorySwapMiB: Int?
    var pidsLimit: Int?
    var storageSizeMiB: Int?

    static func spec(fromJSON data: Data) throws -> ContainerSpec {
        let r = try JSONDecoder().decode(StoredRequestV3.self, from: data)
        return ContainerSpec(
            image: r.image, rootfs: r.rootfs, name: r.name,
            process: ProcessSpec(command: r.command ?? [], entrypoint: r.entrypoint, env: r.env ?? [], workdir: r.workdir,
                                 user: r.user, tty: r.tty ?? false, openStdin: r.openStdin ?? false,
                                 noNewPrivileges: r.noNewPrivileges ?? false, ulimits: r.ulimits ?? []),
            hostname: r.hostname, readOnly: r.readOnly ?? false, tmpfs: r.tmpfs ?? [], mounts: r.mounts ?? [],
            limits: LimitSpec(memoryMiB: r.memoryMiB, memorySwapMiB: r.memorySwapMiB, cpus: r.cpus, pidsLimit: r.pidsLimit,
                              storageSizeMiB: r.storageSizeMiB),
            guest: GuestSpec(accel: r.accel, bootTimeout: r.bootTimeout, kernelArgs: r.kernelArgs ?? []),
            isolation: r.isolation, stopTimeout: r.stopTimeout, autoRemove: r.autoRemove ?? false,
            foreground: r.foreground ?? false)
    }
}
