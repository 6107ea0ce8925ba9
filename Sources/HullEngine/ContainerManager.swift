import Foundation
import HullModel
import HullImages
import HullProtocol
import HullRuntime
import Logging
import Synchronization

/// Owns every container: their records in the state store and, per container, one
/// ContainerSlot (lock, log, sandbox while it runs, waiters, followers). Operations on one
/// container run one at a time; different containers never wait for each other.
package final class ContainerManager: Sendable {
    let store: StateStore
    let paths: HullPaths
    let logger: Logger
    /// Modes this host cannot run now, and why (vm when libvirtd was not reachable at
    /// start: DriverMonitor).
    let unavailableModes: [IsolationMode: String]

    /// One per container id that something was done with since hulld started.
    private let slots = Mutex<[String: ContainerSlot]>([:])
    /// Every exec by id (its session lives in its container's RunningContainer), until
    /// its container is removed: exec calls name only the exec.
    let execIndex = Mutex<[String: ExecSession]>([:])
    /// Exit results of removed containers, for late waiters.
    let tombstones = Mutex(ExitTombstones())
    /// Named volumes (ContainerManager+Volumes.swift).
    let volumes: VolumeStore

    /// The mode of a create request that names none (`hulld --default-isolation`).
    let defaultIsolation: IsolationMode

    /// Makes a mode's isolation driver: the real ones, or a fake in lifecycle unit tests.
    package typealias DriverMaker = @Sendable (IsolationMode, GuestConfig, HullPaths, Logger) async throws -> any IsolationDriver
    let makeDriver: DriverMaker
    /// Container networking; nil gives every container loopback only (lifecycle tests).
    let network: NetworkService?

    package static let realDrivers: DriverMaker = { mode, guest, paths, logger in
        try await IsolationDrivers.make(mode, guest: guest, paths: paths, logger: logger, persistent: true)
    }

    package init(store: StateStore, paths: HullPaths, unavailableModes: [IsolationMode: String], logger: Logger,
         defaultIsolation: IsolationMode = .defaultMode, makeDriver: @escaping DriverMaker = ContainerManager.realDrivers,
         network: NetworkService? = nil) {
        self.network = network
        self.store = store
        self.paths = paths
        self.unavailableModes = unavailableModes
        self.logger = logger
        self.makeDriver = makeDriver
        self.defaultIsolation = defaultIsolation
        volumes = VolumeStore(root: paths.volumes)
    }

    /// The spec's isolation mode, or hulld's default; refused when a flag of the
    /// spec cannot be honoured by it, or when its runtime is not installed.
    package func isolation(for spec: ContainerSpec) throws -> IsolationMode {
        let mode: IsolationMode
        do {
            mode = try spec.isolation.map { try IsolationMode.parse($0, source: "isolation") } ?? defaultIsolation
            try ModeSpecificFlag.check(SpecMapping.modeSpecificFlags(of: spec), for: mode)
            try spec.limits.check(for: mode, host: .capable)
        } catch {
            // A request that contradicts itself (isolation process with accel) is a 400,
            // as the document's schema says; one that meets this hulld's default mode or
            // this host's missing runtime conflicts with the server's state: 409.
            if spec.isolation != nil { throw EngineError.invalid("\(error)") }
            throw EngineError.conflict("\(error) (hulld's default isolation is \(defaultIsolation.rawValue): ask for isolation vm)")
        }
        if let missing = IsolationDrivers.available(paths: paths).first(where: { $0.mode == mode })?.missing {
            throw EngineError.conflict("--isolation \(mode.rawValue) is not available on this host: \(missing)")
        }
        if let why = unavailableModes[mode] {
            throw EngineError.conflict("--isolation \(mode.rawValue) is not available: \(why)")
        }
        // What this host lacks (swap accounting, loop devices) conflicts with its state: 409.
        do {
            try spec.limits.check(for: mode, host: .current())
        } catch {
            throw EngineError.conflict("\(error)")
        }
        return mode
    }

    // MARK: Lookup

    package func record(_ reference: String) throws -> ContainerRecord {
        guard let record = try store.find(reference) else { throw EngineError.noSuchContainer(reference) }
        return record
    }

    package func list(all: Bool, isolation: IsolationMode? = nil) throws -> [ContainerRecord] {
        try store.all()
            .filter { all || $0.state == .running || $0.state == .starting || $0.state == .stopping }
            .filter { isolation == nil || $0.isolation == isolation?.rawValue }
    }

    func slot(_ id: String) -> ContainerSlot {
        slots.withLock { s in
            if let slot = s[id] { return slot }
            let slot = ContainerSlot(id: id, directory: containerDirectory(id))
            s[id] = slot
            return slot
        }
    }

    /// The container's sandbox and main process while it runs.
    func live(_ id: String) -> RunningContainer? {
        slots.withLock { $0[id] }?.running.withLock { $0 }
    }

    /// Every container running now, by id.
    func allLive() -> [(id: String, running: RunningContainer)] {
        slots.withLock { Array($0.values) }.compactMap { slot in slot.running.withLock { $0 }.map { (slot.id, $0) } }
    }

    func containerDirectory(_ id: String) -> URL {
        paths.home.appendingPathComponent("containers/\(id)")
    }

    func mainLog(_ id: String) throws -> LogFile {
        try slot(id).mainLog { self.logPolicy(id) }
    }

    /// The container's --log-opt, for its main log and its execs'.
    func logPolicy(_ id: String) -> LogSpec {
        (try? store.find(id))?.spec.log ?? LogSpec()
    }

    // MARK: Create

    package func create(_ spec: ContainerSpec) throws -> ContainerRecord {
        let options = try SpecMapping.options(for: spec, paths: paths)
        let id = ContainerID.generate()
        let name = spec.name ?? id.short
        if try store.nameTaken(name) {
            throw EngineError.conflict("the name \"\(name)\" is already in use by another container: remove it or choose another --name")
        }
        // The image must exist now, not at start (Docker: create fails on a missing image).
        var imageDigest: String?
        if case .image(let reference) = options.rootfs, spec.rootfs == nil {
            do {
                imageDigest = try ImageStore(home: paths.home).resolve(reference).manifestDigest.string
            } catch {
                throw EngineError.notFound("\(error)")
            }
        }
        let mode = try isolation(for: spec)
        try prepareMounts(of: spec)
        var record = ContainerRecord(
            id: id.full, name: name, image: spec.image, state: .created, createdAt: Date(),
            startedAt: nil, finishedAt: nil, exitCode: nil, exitReason: nil,
            domain: IsolationDrivers.hostName(of: name, mode: mode, paths: paths) ?? "", isolation: mode.rawValue,
            spec: spec, mainStream: nil, imageDigest: imageDigest)
        if let network {
            // The address is the container's for its lifetime (its bundle, kept across
            // restarts, names it): chosen and stored in one step.
            try network.allocation.withLock { _ in
                record.address = try network.allocate(for: spec.effectiveNetwork, taken: try store.all().compactMap(\.address))
                try store.insert(record)
            }
        } else {
            try store.insert(record)
        }
        _ = try mainLog(id.full)
        logger.info("created", metadata: ["container": "\(id.short)", "name": "\(name)", "image": "\(spec.image)"])
        return record
    }

    // MARK: Start

    package func start(_ reference: String) async throws {
        let id = try record(reference).id
        try await slot(id).lock.run {
            var record = try self.record(id)
            switch record.state {
            case .running, .starting, .stopping: throw EngineError.conflict("container \(record.name) is already running")
            case .removing: throw EngineError.conflict("container \(record.name) is being removed")
            case .created, .exited: break
            }
            record.state = .starting
            record.exitCode = nil
            record.exitReason = nil
            record.oomKilled = false
            record.finishedAt = nil
            try self.store.save(record)
            do {
                try await self.boot(&record)
            } catch {
                record.state = .exited
                // Docker's codes: 127 command not found, 126 not executable, else 125.
                record.exitCode = (error as? RunError)?.exitCode ?? 125
                record.exitReason = "start failed: \(error)"
                record.finishedAt = Date()
                try? self.store.save(record)
                (try? self.mainLog(id))?.finish()   // followers attached before the start end
                self.slot(id).wake(record.waitResult)
                throw EngineError.failed("\(error)", cause: error)
            }
        }
        endIfAbandoned(id)
    }

    private func boot(_ record: inout ContainerRecord) async throws {
        try checkBindSources(record.spec)   // a bind source deleted since the create
        var options = try SpecMapping.options(for: record.spec, paths: paths)
        options.name = record.name
        if let digest = record.imageDigest, case .image = options.rootfs { options.rootfs = .image(digest) }
        let mode = IsolationMode(rawValue: record.isolation) ?? .vm
        // The agent outlives a hulld that goes away and waits for the next to resume.
        options.guest.extraKernelArgs.append("hull.persist=1")
        let driver = try await makeDriver(mode, options.guest, paths, logger)
        let directory = paths.runDirectory(id: String(record.id.prefix(12)))
        try PrivateFile.createDirectory(directory)   // a vm driver grants QEMU's group its way in
        let hostname = options.container.hostname ?? String(record.id.prefix(12))
        if let network, let address = record.address {
            (options.network, options.etcFiles) = try await network.attach(
                id: record.id, name: record.name, hostname: hostname, mode: mode,
                spec: record.spec.effectiveNetwork, address: address, exposed: exposedPorts(of: record))
            record.ports = network.ports(of: record.id)
        }
        let sandbox: any Sandbox
        let process: any ContainerProcess
        let pipes: ProcessPipes
        do {
            // A restarted container keeps its root filesystem (its file changes), as with Docker.
            let bundle = try OCIBundle.existing(in: directory, form: driver.rootfsForm)
                ?? OCIBundle.make(options: options, hostname: hostname, driver: driver, in: directory, paths: paths)
            let log = try mainLog(record.id)
            log.startRun()
            pipes = try ProcessPipes(openStdin: record.spec.process.openStdin, log: log)
            do {
                sandbox = try await driver.createSandbox(bundle: bundle, name: record.name)
                do {
                    process = try await sandbox.start(stdio: pipes.stdio)
                } catch {
                    await sandbox.delete()
                    throw error
                }
            } catch {
                await pipes.finish()
                throw error
            }
        } catch {
            await network?.release(id: record.id)
            throw error
        }
        let running = RunningContainer(sandbox: sandbox, process: process, mode: mode, outlivesHull: driver.outlivesHull,
                                       pipes: pipes)
        slot(record.id).running.withLock { $0 = running }
        record.state = .running
        record.startedAt = Date()
        record.domain = IsolationDrivers.hostName(of: record.name, mode: mode, paths: paths) ?? record.domain
        record.mainStream = process.resumableStream.map(Int64.init)
        try store.save(record)
        logger.info("started", metadata: ["container": "\(record.id.prefix(12))", "isolation": "\(mode.rawValue)"])
        let id = record.id
        Task { await self.watchExit(id: id, running: running) }
    }

    /// The ports the container's image EXPOSEs (`-P`), as published on free ports of 127.0.0.1.
    func exposedPorts(of record: ContainerRecord) -> [PortSpec] {
        guard record.spec.effectiveNetwork.publishAll, record.spec.rootfs == nil,
              let data = try? ImageStore(home: paths.home).configJSON(record.imageDigest ?? record.image),
              let config = try? JSONDecoder().decode(OCIImageConfig.self, from: data) else { return [] }
        return (config.config?.exposedPorts ?? [:]).keys.sorted().prefix(InputLimits.maxPublishedPorts).compactMap { key in
            // "80/tcp", "53/udp", "8080"
            let parts = key.split(separator: "/")
            guard let first = parts.first, let port = Int(first), (1...65535).contains(port) else { return nil }
            let proto = parts.count > 1 ? parts[1].lowercased() : "tcp"
            guard proto == "tcp" || proto == "udp" else { return nil }
            return PortSpec(containerPort: port, proto: proto)
        }
    }

    /// Waits for the main process to end (or the sandbox to die), then records the exit and
    /// deletes the sandbox (the guest stopped; the runtime container deleted).
    func watchExit(id: String, running: RunningContainer) async {
        var code: Int32
        var reason: String?
        var oomKilled = false
        do {
            let status = try await running.process.wait()
            code = status.shellStatus
            oomKilled = status.oomKilled ?? false
            if oomKilled {
                reason = "OOM-killed: the container ran out of memory (its --memory limit, or the size of its guest)"
            }
        } catch {
            // The session with the sandbox ended without an exit (a guest died): its
            // runtime may say how (libvirt's stop event, once QEMU is reaped).
            code = 137
            reason = await running.sandbox.endReason(within: .seconds(5)) ?? running.endReason.withLock { $0 }
                ?? "the container's sandbox went away: \(error)"
        }
        if let own = running.endReason.withLock({ $0 }), reason == nil { reason = own }
        await running.pipes.finish()
        (try? mainLog(id))?.finish()
        for exec in running.execs.withLock({ Array($0.values) }) {
            exec.log.finish()
            if exec.exit.withLock({ $0 }) == nil { exec.finished(137) }
        }
        await running.sandbox.delete()
        await network?.release(id: id)
        // The exit is stored before the container leaves `live`: stop (and hulld's own
        // exit, which waits for that) must find it recorded, or the next hulld would
        // take it for a container that was running when hulld went away.
        // One transaction: a stop that read the record as running must not write it back
        // over this exit (it would stay "stopping" forever, and restart's wait with it).
        // An --rm container goes from running to removing: a waiter that comes between
        // this and the removal (`hull run` waits once the log ended) must not hear of the
        // exit before its files are gone (wait answers `exited` at once).
        let stored = try? store.update(id: id) { record -> ContainerRecord in
            record.state = record.state == .removing || record.spec.autoRemove ? .removing : .exited
            record.exitCode = code
            record.exitReason = reason
            record.oomKilled = oomKilled
            record.finishedAt = Date()
            record.mainStream = nil
            record.ports = nil
            return record
        }
        // Only this run's entry: a start after the exit was stored may have put a new one.
        let slot = slot(id)
        slot.running.withLock { if $0 === running { $0 = nil } }
        running.gone.fire()
        guard let record = stored else { return }
        logger.info("exited", metadata: ["container": "\(id.prefix(12))", "code": "\(code)", "reason": "\(reason ?? "-")"])
        // Removed before waiters hear of the exit: once `hull run --rm` returns, nothing is
        // left (waiters that come later find the result in `tombstones`).
        if record.spec.autoRemove {
            do {
                try await remove(id, force: false)
            } catch {
                logger.error("auto-remove failed", metadata: ["container": "\(id.prefix(12))", "error": "\(error)"])
            }
        }
        slot.wake(record.waitResult)
    }

    // MARK: Wait

    package func wait(_ reference: String) async throws -> WaitResult {
        guard let id = try store.find(reference)?.id else {
            if let result = tombstones.withLock({ $0.result(for: reference) }) { return result }
            throw EngineError.noSuchContainer(reference)
        }
        return try await slot(id).waitForExit {
            guard let record = try? store.find(id) else {
                if let result = tombstones.withLock({ $0.result(for: id) }) { return .success(result) }
                return .failure(EngineError.noSuchContainer(reference))
            }
            if record.state == .exited || record.state == .created && record.finishedAt != nil {
                return .success(record.waitResult)
            }
            return nil
        }
    }

    // MARK: Stop, kill, restart

    package func stop(_ reference: String, timeout: Double?) async throws {
        let record = try record(reference)
        guard let running = live(record.id) else { return }  // Docker: stopping a stopped container is fine
        let grace = timeout ?? record.spec.stopTimeout ?? 10
        try await slot(record.id).lock.run {
            // Checked and set in one transaction: the exit watcher does not take this lock,
            // and an exit it records between a read and a save here would be overwritten.
            let stopping = try self.store.update(id: record.id) { current -> Bool in
                guard current.state == .running else { return false }
                current.state = .stopping
                return true
            }
            guard stopping == true else { return }
            try? await running.process.signal(SIGTERM)
            let exited = await running.gone.wait(for: InputLimits.duration(seconds: grace, limit: InputLimits.maxStopSeconds))
            if !exited {
                try? await running.process.signal(SIGKILL)
                if !(await running.gone.wait(for: .seconds(3))) {
                    // The sandbox does not answer: end it; the exit watcher records that.
                    running.endReason.withLock { $0 = "the container's sandbox did not stop in time and was destroyed" }
                    await running.sandbox.destroy()
                    _ = await running.gone.wait(for: .seconds(10))
                }
            }
        }
    }

    package func kill(_ reference: String, signal: Int32) async throws {
        let record = try record(reference)
        guard let running = live(record.id) else {
            throw EngineError.conflict("container \(record.name) is not running")
        }
        do {
            try await running.process.signal(signal)
        } catch {
            throw EngineError.failed("signalling the container failed: \(error)", cause: error)
        }
    }

    package func restart(_ reference: String, timeout: Double?) async throws {
        // Only a running container has an exit to wait for: restarting a created or exited
        // one starts it (waiting first hung forever; found by scripts/api-fuzz.sh).
        let id = try record(reference).id
        if live(id) != nil {
            try await stop(id, timeout: timeout)
            _ = try await wait(id)
        }
        try await start(id)
    }

    // MARK: Remove

    package func remove(_ reference: String, force: Bool) async throws {
        let record = try record(reference)
        if live(record.id) != nil {
            guard force else {
                throw EngineError.conflict("container \(record.name) is running: stop it first, or remove it with -f")
            }
            if let running = live(record.id) {
                running.endReason.withLock { $0 = "removed with rm -f" }
                await running.sandbox.destroy()
                // Until it left `live` (its exit is stored before that: a wait could
                // return while it is still there, and the removal would see it running).
                _ = await running.gone.wait(for: .seconds(30))
            }
        }
        let slot = slot(record.id)
        try await slot.lock.run {
            // Decided in one transaction with what it reads: a start that won the lock
            // first (the container runs again) is a conflict, never a removal of a
            // running container's files.
            let changed = try self.store.update(id: record.id) { current -> ContainerRecord? in
                guard slot.running.withLock({ $0 }) == nil,
                      ![.running, .starting, .stopping].contains(current.state) else { return nil }
                current.state = .removing
                return current
            }
            guard let changed else { throw EngineError.noSuchContainer(reference) }
            guard let current = changed else {
                throw EngineError.conflict("container \(record.name) is running: stop it first, or remove it with -f")
            }
            try self.deleteFiles(of: current)
            self.dropExecs(of: current.id)
            try self.store.delete(id: current.id)
            if current.finishedAt != nil {
                self.tombstones.withLock { $0.add(current.id, current.waitResult) }
            }
        }
        slots.withLock { s in if s[record.id] === slot { s.removeValue(forKey: record.id) } }
        logger.info("removed", metadata: ["container": "\(record.id.prefix(12))"])
    }

    func deleteFiles(of record: ContainerRecord) throws {
        // Only a slot that exists: a removal finished at reconcile must not leave an
        // empty one behind.
        slots.withLock { $0[record.id] }?.takeLog()?.delete()
        try? FileManager.default.removeItem(at: containerDirectory(record.id))
        let run = paths.runDirectory(id: String(record.id.prefix(12)))
        WritableLayer(directory: run).unmount()   // left mounted by a hulld that died
        try? FileManager.default.removeItem(at: run)
    }

    // MARK: Logs and stdio

    package func logStream(_ reference: String, query: LogQuery) throws -> AsyncStream<OutputFrame> {
        let record = try record(reference)
        let log = try mainLog(record.id)
        // A container that is not running has nothing more to say: follow ends at once.
        // One that is created or starting will (attach before start, as `hull run` does).
        let upcoming = record.state == .created || record.state == .starting
        if live(record.id) == nil && !upcoming { log.finish() }
        return LogReader(log: log, query: query).frames()
    }

    func running(_ reference: String) throws -> (ContainerRecord, RunningContainer) {
        let record = try record(reference)
        guard let running = live(record.id) else {
            throw EngineError.conflict("container \(record.name) is not running")
        }
        return (record, running)
    }

    package func resize(_ reference: String, rows: UInt16, columns: UInt16) async throws {
        let (_, running) = try running(reference)
        try await running.process.resize(WindowSize(rows: rows, columns: columns))
    }

    // MARK: Restart of hulld

    /// Brings the store in line with what libvirt runs after hulld (re)starts: guests
    /// still running are taken over (ContainerManager+Reattach.swift), the others marked
    /// exited with the reason; unfinished removals are finished.
    package func reconcile() async {
        guard let records = try? store.all() else { return }
        await withTaskGroup(of: Void.self) { group in
            for record in records {
                switch record.state {
                case .created, .exited:
                    continue
                case .removing:
                    try? deleteFiles(of: record)
                    try? store.delete(id: record.id)
                case .starting, .running, .stopping:
                    group.addTask { await self.reattach(record) }
                }
            }
        }
        await network?.reconcile()
    }

    /// Stores the exit found at a restart, in one transaction with the read (no stale
    /// copy of the record written back).
    func markExited(_ id: String, code: Int32, reason: String?) {
        let stored = try? store.update(id: id) { record -> ContainerRecord in
            record.state = .exited
            record.finishedAt = Date()
            record.exitCode = code
            record.exitReason = reason
            record.mainStream = nil
            return record
        }
        logger.notice("reconciled", metadata: ["container": "\(id.prefix(12))", "code": "\(code)", "reason": "\(reason ?? "-")"])
        if let stored { slot(id).wake(stored.waitResult) }
    }
}

extension ContainerManager {
    /// hulld exits: stop the containers that would not survive it (runc/runsc), and with
    /// `--stop-containers-on-exit` every other one too.
    package func stopAll(evenThoseThatOutliveHulld: Bool) async {
        let ids = allLive().filter { evenThoseThatOutliveHulld || !$0.running.outlivesHull }.map(\.id)
        await withTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask { try? await self.stop(id, timeout: nil) }
            }
        }
    }
}
