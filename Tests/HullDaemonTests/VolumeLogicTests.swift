import Foundation
import HullAPI
import HullProtocol
import HullRuntime
import Testing
@testable import HullDaemon
@testable import HullEngine

@Suite("volumes, mounts and foreground bookkeeping")
struct VolumeLogicTests {
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hull-volumes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("a volume is made once, listed, sized and deleted with its data")
    func volumeStore() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let store = VolumeStore(root: root.appendingPathComponent("volumes"))
        let first = try store.ensure("data")
        let again = try store.ensure("data")
        #expect(first.created && !again.created)
        #expect(first.createdAt == again.createdAt)
        try Data(repeating: 7, count: 3000).write(to: store.dataPath("data").appendingPathComponent("f"))
        #expect(store.names() == ["data"])
        #expect(try store.delete("data") == 3000)
        #expect(store.names().isEmpty)
        #expect(throws: EngineError.notFound("no such volume: data")) { try store.delete("data") }
        #expect(throws: EngineError.self) { try store.ensure("../escape") }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("escape").path))
    }

    @Test("mount rules: absolute paths, a source where one is needed, sizes for tmpfs only")
    func mountRules() throws {
        let good: [MountSpec] = [
            MountSpec(type: .bind, source: "/srv/data", target: "/data", readOnly: true),
            MountSpec(type: .volume, source: "cache", target: "/cache"),
            MountSpec(type: .tmpfs, target: "/scratch", tmpfsSize: 1 << 20),
        ]
        try InputCheck.mounts(good)
        let bad: [MountSpec] = [
            MountSpec(type: .bind, target: "/data"),
            MountSpec(type: .bind, source: "relative", target: "/data"),
            MountSpec(type: .bind, source: "/srv", target: "data"),
            MountSpec(type: .bind, source: "/srv", target: "/"),
            MountSpec(type: .volume, source: "../x", target: "/x"),
            MountSpec(type: .tmpfs, source: "/x", target: "/x"),
            MountSpec(type: .volume, source: "v", target: "/x", tmpfsSize: 10),
            MountSpec(type: .tmpfs, target: "/x", tmpfsSize: 0),
        ]
        for mount in bad {
            #expect(throws: InputError.self, "\(mount)") { try InputCheck.mounts([mount]) }
        }
        #expect(throws: InputError.self) { try InputCheck.mounts(Array(repeating: good[2], count: 65)) }
        // Collisions once normalised, with --tmpfs too, and the root: a conflict (409).
        #expect(throws: InputError.self) {
            try InputCheck.distinctTargets([MountSpec(type: .tmpfs, target: "/a/"), MountSpec(type: .tmpfs, target: "/a")])
        }
        #expect(throws: InputError.self) { try InputCheck.distinctTargets([MountSpec(type: .tmpfs, target: "/a")], tmpfs: ["/a:size=1m"]) }
        #expect(throws: InputError.self) { try InputCheck.distinctTargets([MountSpec(type: .tmpfs, target: "//./")]) }
        try InputCheck.distinctTargets(good, tmpfs: ["/run"])
    }

    @Test("mounts become the runtime's volumes and tmpfs entries")
    func mapping() throws {
        let home = try scratch()
        defer { try? FileManager.default.removeItem(at: home) }
        let paths = HullPaths(home: home)
        let request = CreateContainerRequest(image: "busybox", mounts: [
            MountSpec(type: .bind, source: "/srv/data", target: "/data", readOnly: true),
            MountSpec(type: .volume, source: "cache", target: "/cache"),
            MountSpec(type: .tmpfs, target: "/scratch", readOnly: true, tmpfsSize: 4096),
        ])
        let options = try SpecMapping.options(for: request.spec, paths: paths)
        #expect(options.container.volumes == [
            VolumeMount(hostPath: "/srv/data", destination: "/data", readOnly: true),
            VolumeMount(hostPath: home.appendingPathComponent("volumes/cache/_data").path, destination: "/cache", readOnly: false),
        ])
        #expect(options.container.tmpfs == ["/scratch:size=4096,ro"])
    }

    @Test("--ulimit: Docker's names, -1 unlimited, soft ≤ hard, each once; it replaces the default")
    func ulimits() throws {
        try InputCheck.ulimits([UlimitSpec(name: "nofile", soft: 256, hard: 512), UlimitSpec(name: "core", soft: -1, hard: -1)])
        #expect(throws: InputError.self) { try InputCheck.ulimits([UlimitSpec(name: "files", soft: 1, hard: 1)]) }
        #expect(throws: InputError.self) { try InputCheck.ulimits([UlimitSpec(name: "nofile", soft: -2, hard: 1)]) }
        #expect(throws: InputError.self) { try InputCheck.consistentUlimits([UlimitSpec(name: "nofile", soft: 9, hard: 8)]) }
        #expect(throws: InputError.self) { try InputCheck.consistentUlimits([UlimitSpec(name: "nofile", soft: -1, hard: 8)]) }
        #expect(throws: InputError.self) {
            try InputCheck.consistentUlimits([UlimitSpec(name: "nproc", soft: 1, hard: 1), UlimitSpec(name: "nproc", soft: 2, hard: 2)])
        }
        try InputCheck.consistentUlimits([UlimitSpec(name: "nofile", soft: 8, hard: -1)])
        let options = try SpecMapping.options(for: CreateContainerRequest(
            image: "busybox", ulimits: [UlimitSpec(name: "nofile", soft: 256, hard: 512), UlimitSpec(name: "core", soft: 0, hard: -1)]).spec)
        #expect(options.container.rlimits == [RuntimeSpec.Rlimit(type: "RLIMIT_NOFILE", hard: 512, soft: 256),
                                              RuntimeSpec.Rlimit(type: "RLIMIT_CORE", hard: UInt64.max, soft: 0)])
        #expect(RuntimeSpecBuilder.rlimits(options.container) == options.container.rlimits, "nofile given: no default beside it")
        #expect(RuntimeSpecBuilder.rlimits(ContainerFlags()) == [RuntimeSpec.Rlimit(type: "RLIMIT_NOFILE", hard: 1_048_576, soft: 1_048_576)])
    }

    @Test("exit results of removed containers are kept, the latest 1024")
    func tombstones() {
        var t = ExitTombstones()
        for i in 0..<(ExitTombstones.limit + 10) { t.add("c\(i)", WaitResult(exitCode: Int32(i % 200), exitReason: nil)) }
        #expect(t.result(for: "c0") == nil)
        #expect(t.result(for: "c\(ExitTombstones.limit + 9)")?.exitCode == Int32((ExitTombstones.limit + 9) % 200))
    }

    @Test("a follow lease ends once, whichever way comes first")
    func followLease() {
        let ends = Counter()
        let lease = FollowLease { disconnected in ends.add(disconnected ? "gone" : "done") }
        lease.end(disconnected: false)
        lease.end(disconnected: true)
        #expect(ends.values == ["done"])
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ value: String) { lock.withLock { list.append(value) } }
    var values: [String] { lock.withLock { list } }
}
