import Foundation
import Glibc
import HullProtocol
import HullRuntime
import Logging
import Synchronization
import Testing

/// `Sandbox.cgroupUsage` on real containers, driven through the isolation drivers as
/// `hull bench` does (ContainerRunner, no hulld): real runc, real runsc, a real guest
/// whose agent answers from the container's cgroup. The limits set are read back.
extension Integration {
    @Suite("cgroup usage of a running container, every mode", .serialized)
    struct CgroupUsageRunTests {
        static let memoryMiB = 128
        static let pidsLimit = 64

        /// What the test holds of the container ContainerRunner runs.
        final class Handles: Sendable {
            let sandbox = Mutex<(any Sandbox)?>(nil)
            let process = Mutex<(any ContainerProcess)?>(nil)
            let finished = Mutex(false)
        }

        @Test("memory.max and pids.max are the limits set, memory and tasks are counted; nil once deleted",
              arguments: IsolationMode.allCases)
        func limitsAndUsage(mode: IsolationMode) async throws {
            try HullCLI.require(mode)
            let paths = HullPaths()
            let logger = Logger(label: "cgroup-usage-test")
            var options = RunOptions()
            options.isolation = mode
            options.rootfs = .image("busybox")
            // Three tasks: the shell and two sleeps.
            options.container.command = ["sh", "-c", "sleep 600 & sleep 600 & wait"]
            options.container.memoryMiB = Self.memoryMiB
            // runsc would apply a pids limit to its own host threads: refused for gvisor
            // (ResourceLimits.check), so not set here either.
            if mode != .gvisor { options.container.pidsLimit = Self.pidsLimit }
            options.guest.memoryMiB = GuestConfig.memoryMiB(forContainer: Self.memoryMiB)
            let driver = try await IsolationDrivers.make(mode, guest: options.guest, paths: paths, logger: logger)

            let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
            defer { close(devNull) }
            let stdio = ProcessStdio(stdin: nil, stdout: devNull, stderr: devNull)
            let handles = Handles()
            let run = Task {
                defer { handles.finished.withLock { $0 = true } }
                return try await ContainerRunner(paths: paths, logger: logger).run(
                    options, driver: driver, stdio: stdio,
                    sandboxReady: { sandbox in handles.sandbox.withLock { $0 = sandbox } },
                    started: { process in handles.process.withLock { $0 = process } })
            }
            let startBy = ContinuousClock.now + .seconds(120)
            while handles.process.withLock({ $0 == nil }), !handles.finished.withLock({ $0 }), ContinuousClock.now < startBy {
                try await Task.sleep(for: .milliseconds(100))
            }
            guard let process = handles.process.withLock({ $0 }), let sandbox = handles.sandbox.withLock({ $0 }) else {
                run.cancel()
                let result = await run.result
                Issue.record("the container did not start: \(result)")
                return
            }

            // Under runc and in a guest the cgroup holds the container's tasks alone; under
            // runsc it holds the sandbox's host threads, at least one.
            let tasks: UInt64 = mode == .gvisor ? 1 : 3
            var usage: CgroupUsage?
            var failure: (any Error)?
            let readBy = ContinuousClock.now + .seconds(60)
            repeat {
                do {
                    usage = try await sandbox.cgroupUsage()
                } catch {
                    failure = error
                    break
                }
                if let usage, usage.pidsCurrent >= tasks, usage.memoryCurrentBytes > 0, usage.cpuUsageMicroseconds > 0 { break }
                try await Task.sleep(for: .milliseconds(250))
            } while ContinuousClock.now < readBy

            try await process.signal(SIGKILL)
            let status = try await run.value
            #expect(status.shellStatus == 137, "\(status)")
            // Deleted: nothing to read, and no error.
            #expect(try await sandbox.cgroupUsage() == nil)

            #expect(failure == nil, "\(failure.map { "\($0)" } ?? "")")
            let reading = try #require(usage, "no reading under --isolation \(mode.rawValue)")
            #expect(reading.memoryMaxBytes == UInt64(Self.memoryMiB) << 20, "\(reading)")
            #expect(reading.pidsMax == (mode == .gvisor ? nil : UInt64(Self.pidsLimit)), "\(reading)")
            #expect(reading.memoryCurrentBytes > 0, "\(reading)")
            #expect(reading.memoryCurrentBytes < UInt64(Self.memoryMiB) << 20, "\(reading)")
            #expect(reading.pidsCurrent >= tasks, "\(reading)")
            #expect(reading.cpuUsageMicroseconds > 0, "\(reading)")
            if mode != .gvisor {
                #expect(reading.pidsCurrent == 3, "the shell and two sleeps: \(reading)")
            }
            print("cgroup usage, --isolation \(mode.rawValue): \(reading)")
        }
    }
}
