import Foundation
import HullImages
import HullProtocol

/// A container's OCI bundle: `config.json` (the runtime spec from image defaults and
/// flags, `RuntimeSpecBuilder`) and its root filesystem, in the container's run folder.
/// Made by the same code for every isolation mode; the mode only says which form the
/// root filesystem takes.
public struct OCIBundle: Sendable {
    public enum Rootfs: Sendable, Equatable {
        /// qcow2 overlay over the image's cached ext4 disk (guest: /dev/vda).
        case disk(URL)
        /// `<bundle>/rootfs`, the spec's `root.path`.
        case directory(URL)
    }

    public let directory: URL
    public let spec: RuntimeSpec
    public let rootfs: Rootfs
    /// `--storage-opt size=`: the size-capped writable layer (a guest's second disk; the
    /// overlay under runc/runsc, already mounted at `rootfs`).
    public var writable: WritableLayer?

    public var configURL: URL { directory.appendingPathComponent("config.json") }

    /// Builds the bundle in `directory` (which exists). The image is recorded as in use there.
    public static func make(options: RunOptions, hostname: String, driver: any IsolationDriver,
                            in directory: URL, paths: HullPaths) throws -> OCIBundle {
        let form = driver.rootfsForm
        let rootfs: Rootfs
        let defaults: ImageDefaults
        switch form {
        case .disk:
            let disks = RootfsDiskBuilder(paths: paths)
            let (base, found) = try disks.baseDisk(for: options.rootfs, scratch: directory)
            let overlay = directory.appendingPathComponent("rootfs.qcow2")
            try disks.overlay(base: base, at: overlay)
            (rootfs, defaults) = (.disk(overlay), found)
        case .directory where options.storageSizeMiB != nil:
            // The image's tree below, read-only; the size-capped layer above (WritableLayer).
            let layer = try WritableLayer.create(sizeMiB: options.storageSizeMiB ?? 0, in: directory)
            try FileManager.default.createDirectory(at: layer.image, withIntermediateDirectories: true)
            defaults = try RootfsDiskBuilder(paths: paths).tree(for: options.rootfs, into: layer.image, runDirectory: directory)
            try layer.mountOverlay()
            rootfs = .directory(layer.rootfs)
        case .directory:
            let tree = directory.appendingPathComponent(RuntimeSpec.Root().path)
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
            defaults = try RootfsDiskBuilder(paths: paths).tree(for: options.rootfs, into: tree, runDirectory: directory)
            rootfs = .directory(tree)
        }
        if form == .disk, let size = options.storageSizeMiB {
            _ = try WritableLayer.create(sizeMiB: size, in: directory)
        }
        // Volumes as the isolation boundary sees them; their host paths stay in annotations
        // (a guest's driver shares them), so a restart from config.json still knows them.
        var flags = options.container
        var volumeAnnotations: [String: String] = [:]
        for (index, volume) in flags.volumes.enumerated() {
            volumeAnnotations[RuntimeSpec.volumeAnnotation(index)] = volume.hostPath + (volume.readOnly ? ":ro" : ":rw")
            flags.volumes[index].hostPath = driver.volumeSource(hostPath: volume.hostPath, index: index)
        }
        if let files = options.etcFiles {
            let etc = ContainerEtcFiles.directory(in: directory)
            try FileManager.default.createDirectory(at: etc, withIntermediateDirectories: true)
            for entry in files.entries {
                try Data(entry.contents.utf8).write(to: etc.appendingPathComponent(entry.name))
                flags.etcMounts.append(EtcMount(source: driver.etcFileSource(entry.name, runDirectory: directory),
                                                destination: entry.destination))
            }
        }
        var spec = try RuntimeSpecBuilder.build(image: defaults, flags: flags, hostname: hostname,
                                                consoleSize: options.windowSize)
        if let endpoint = options.network {
            volumeAnnotations[RuntimeSpec.networkAnnotation] = String(decoding: try JSONEncoder().encode(endpoint), as: UTF8.self)
            if let path = endpoint.namespacePath {
                let namespaces = spec.linux?.namespaces?.map {
                    $0.type == "network" ? RuntimeSpec.Namespace(type: "network", path: path) : $0
                }
                spec.linux?.namespaces = namespaces
            }
        }
        if !volumeAnnotations.isEmpty {
            spec.annotations = (spec.annotations ?? [:]).merging(volumeAnnotations) { $1 }
        }
        if case .directory(let tree) = rootfs {
            // runc and runsc take numeric ids only: names are resolved here, from the
            // image's own files, with the same rules the guest agent applies.
            try resolveUser(in: &spec, accounts: accounts(in: tree))
            // One cgroup per container, named after its run folder (unique per container).
            spec.linux?.cgroupsPath = "/hull/\(directory.lastPathComponent)"
        }
        driver.adapt(&spec)
        try PrivateFile.write(MessageCoding.prettyJSON(spec), to: directory.appendingPathComponent("config.json"))
        return OCIBundle(directory: directory, spec: spec, rootfs: rootfs, writable: WritableLayer.existing(in: directory))
    }

    /// The bundle an earlier start of the same container left in `directory` (hulld
    /// restarting a stopped container: its file changes are kept, as with Docker), or nil.
    /// A writable layer under runc/runsc is mounted again.
    public static func existing(in directory: URL, form: RootfsForm) throws -> OCIBundle? {
        let config = directory.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: config.path),
              let spec = try? JSONDecoder().decode(RuntimeSpec.self, from: data) else { return nil }
        let rootfs: Rootfs
        switch form {
        case .disk: rootfs = .disk(directory.appendingPathComponent("rootfs.qcow2"))
        case .directory: rootfs = .directory(directory.appendingPathComponent(spec.root.path))
        }
        let path: String
        switch rootfs {
        case .disk(let url), .directory(let url): path = url.path
        }
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let writable = WritableLayer.existing(in: directory)
        if form == .directory, let writable { try writable.mountOverlay() }
        return OCIBundle(directory: directory, spec: spec, rootfs: rootfs, writable: writable)
    }

    /// Replaces the `org.hull.user` annotation by the numeric user it names.
    static func resolveUser(in spec: inout RuntimeSpec, accounts: ImageAccounts) throws(IsolationError) {
        guard let name = spec.annotations?[RuntimeSpec.userAnnotation] else { return }
        let user: ImageAccounts.ResolvedUser
        do {
            user = try accounts.resolve(name)
        } catch {
            throw .userLookup(error.description)
        }
        var groups: [UInt32] = []
        for gid in user.additionalGids + (spec.process.user.additionalGids ?? []) where !groups.contains(gid) {
            groups.append(gid)
        }
        spec.process.user = RuntimeSpec.User(uid: user.uid, gid: user.gid, umask: spec.process.user.umask,
                                             additionalGids: groups.isEmpty ? nil : groups)
        spec.annotations?[RuntimeSpec.userAnnotation] = nil
        if spec.annotations?.isEmpty == true { spec.annotations = nil }
        if !(spec.process.env ?? []).contains(where: { $0.hasPrefix("HOME=") }) {
            spec.process.env = (spec.process.env ?? []) + ["HOME=\(user.home)"]
        }
    }

    /// The image's /etc/passwd and /etc/group; a file whose path leaves the tree (an
    /// absolute symbolic link would name the host's) counts as missing.
    static func accounts(in tree: URL) -> ImageAccounts {
        func read(_ relative: String) -> String? {
            let root = tree.resolvingSymlinksInPath().path
            let file = tree.appendingPathComponent(relative).resolvingSymlinksInPath().path
            guard file.hasPrefix(root + "/"), let data = FileManager.default.contents(atPath: file),
                  data.count <= 4 << 20 else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
        return ImageAccounts(passwd: read("etc/passwd"), group: read("etc/group"))
    }
}
