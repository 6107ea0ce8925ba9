import Foundation
import Glibc
import HullProtocol
import HullRuntime

/// hulld restarted (or was killed) while containers ran: take guests over again; end the
/// containers of modes that do not outlive hulld (runc/runsc) and say why.
extension ContainerManager {
    func reattach(_ record: ContainerRecord) async {
        let mode = IsolationMode(rawValue: record.isolation) ?? .vm
        let directory = paths.runDirectory(id: String(record.id.prefix(12)))
        guard mode != .vm || libvirt != nil else {
            // Its guest may well run on: left as recorded, for a hulld that has libvirt.
            logger.warning("a vm container was running, but libvirt is not reachable: not taken over (restart hulld with libvirtd up)",
                           metadata: ["container": "\(record.name)"])
            return
        }
        do {
            let driver = try await makeDriver(mode, GuestConfig(), paths, logger)
            guard driver.outlivesHull else {
                await driver.removeLeftovers(of: record.name, bundle: directory)
                markExited(record, code: 137, reason: "hulld restarted: a container with --isolation \(mode.rawValue) ends with the hulld that ran it (hulld is its runtime's subreaper and holds its stdio)")
                return
            }
        } catch {
            markExited(record, code: 137, reason: "hulld restarted and cannot take over an --isolation \(mode.rawValue) container: \(error)")
            return
        }
        guard let libvirt else { return }
        guard let domain = GuestVM.runningDomain(of: record.name, recorded: record.domain, paths: paths, libvirt: libvirt) else {
            markExited(record, code: 137, reason: "the guest was gone when hulld started (it ended while hulld was down)")
            return
        }
        let vm: GuestVM
        do {
            vm = try await GuestVM.reattach(id: record.name, domainName: domain, runDirectory: directory,
                                            libvirt: libvirt, logger: logger)
        } catch {
            try? libvirt.lookup(name: domain)?.destroy()
            markExited(record, code: 137, reason: "hulld restarted and could not take over the guest (\(error)), so it was stopped")
            return
        }
        let processes = vm.hello.processes ?? []
        let main = record.mainStream.map { UInt32(truncatingIfNeeded: $0) }
        // Execs of the previous hulld: their output has no reader any more; drain it so
        // they can finish.
        for state in processes where state.exit == nil && state.stream != main {
            adoptOrphan(stream: state.stream, vm: vm)
        }
        guard let main, let state = processes.first(where: { $0.stream == main }) else {
            await vm.stop()
            markExited(record, code: 137, reason: "the container's exit status was lost while hulld was down")
            return
        }
        if let exit = state.exit {
            await vm.stop()
            markExited(record, code: exit.shellStatus, reason: nil)
            return
        }
        do {
            let log = try mainLog(record.id)
            log.reopen()
            let pipes = try ProcessPipes(openStdin: record.request.openStdin, log: log)
            let process = vm.agent.adopt(stream: main, stdio: pipes.stdio, stdinOpen: record.request.openStdin)
            // What the agent sent that never reached the log comes again: exactly once.
            try await vm.agent.replay(stream: main, stdout: log.offset(of: 1), stderr: log.offset(of: 2))
            let spec = (try? OCIBundle.existing(in: directory, form: .disk))??.spec ?? RuntimeSpec(process: RuntimeSpec.Process(args: []))
            let running = RunningContainer(sandbox: VMDriver.adopt(vm: vm, spec: spec, mainStream: main), process: process,
                                           mode: mode, outlivesHull: true, domain: domain, pipes: pipes)
            live.withLock { $0[record.id] = running }
            var current = record
            current.state = .running
            try? store.save(current)
            logger.notice("took over", metadata: ["container": "\(record.id.prefix(12))", "domain": "\(domain)"])
            Task { await self.watchExit(id: record.id, running: running) }
        } catch {
            vm.destroy()
            markExited(record, code: 137, reason: "hulld restarted and could not take over the guest (\(error)), so it was stopped")
        }
    }

    private func adoptOrphan(stream: UInt32, vm: GuestVM) {
        let sink = open("/dev/null", O_WRONLY | O_CLOEXEC)
        guard sink >= 0 else { return }
        let process = vm.agent.adopt(stream: stream, stdio: ProcessStdio(stdin: nil, stdout: sink, stderr: sink), stdinOpen: false)
        Task {
            try? await vm.agent.replay(stream: stream, stdout: .max, stderr: .max)
            _ = try? await process.wait()
            close(sink)
        }
    }
}
