import Foundation
import HullProtocol
import HullRuntime
import Synchronization

/// hulld restarted (or was killed) while containers ran: each driver takes its own over
/// (IsolationDriver.takeOver: a guest is connected to again; runc/runsc containers, which
/// do not outlive hulld, are ended) and the record follows what it found.
extension ContainerManager {
    func reattach(_ record: ContainerRecord) async {
        let mode = IsolationMode(rawValue: record.isolation) ?? .vm
        if let why = unavailableModes[mode] {
            // Its guest may well run on: left as recorded, for a hulld that can reach it.
            logger.warning("a \(mode.rawValue) container was running, but that mode is unavailable now: not taken over",
                           metadata: ["container": "\(record.name)", "why": "\(why)"])
            return
        }
        let driver: any IsolationDriver
        do {
            driver = try await makeDriver(mode, GuestConfig(), paths, logger)
        } catch {
            markExited(record.id, code: 137, reason: "hulld restarted and cannot take over an --isolation \(mode.rawValue) container: \(error)")
            return
        }
        let leftover = Leftover(name: record.name, bundle: paths.runDirectory(id: String(record.id.prefix(12))),
                                hostName: record.domain.isEmpty ? nil : record.domain,
                                mainStream: record.mainStream.map { UInt32(truncatingIfNeeded: $0) },
                                stdinOpen: record.spec.process.openStdin)
        let pipes = Mutex<ProcessPipes?>(nil)
        let outcome = await driver.takeOver(leftover) {
            let log = try self.mainLog(record.id)
            log.reopen()
            let opened = try ProcessPipes(openStdin: record.spec.process.openStdin, log: log)
            pipes.withLock { $0 = opened }
            return (opened.stdio, (log.offset(of: 1), log.offset(of: 2)))
        }
        switch outcome {
        case .exited(let code, let reason):
            if let opened = pipes.withLock({ $0 }) { await opened.finish() }
            markExited(record.id, code: code, reason: reason)
        case .running(let sandbox, let process):
            guard let opened = pipes.withLock({ $0 }) else {
                await sandbox.destroy()
                markExited(record.id, code: 137, reason: "hulld restarted and the runtime gave back no output for the container, so it was stopped")
                return
            }
            let running = RunningContainer(sandbox: sandbox, process: process, mode: mode, outlivesHull: driver.outlivesHull,
                                           pipes: opened)
            slot(record.id).running.withLock { $0 = running }
            _ = try? store.update(id: record.id) { $0.state = .running }
            if let network, let address = record.address {
                await network.adopt(id: record.id, mode: mode, spec: record.spec.effectiveNetwork, address: address,
                                    ports: record.ports ?? [])
                let ports = network.ports(of: record.id)
                _ = try? store.update(id: record.id) { $0.ports = ports }
            }
            logger.notice("took over", metadata: ["container": "\(record.id.prefix(12))", "domain": "\(record.domain)"])
            Task { await self.watchExit(id: record.id, running: running) }
        }
    }
}
