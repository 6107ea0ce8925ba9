import CAgentSupport
import Glibc
import Synchronization

/// How the agent ends: as PID 1 of a guest it syncs and powers the VM off (libvirt then
/// destroys the domain, and the kernel takes every process with it); in test mode it kills
/// the processes it started and exits, leaving the machine it ran on as it was.
final class PowerControl: Sendable {
    let testMode: Bool
    private let beforeTestExit = Mutex<(@Sendable () -> Void)?>(nil)

    init(testMode: Bool) {
        self.testMode = testMode
    }

    /// What test mode does before exiting (set once the process table exists).
    func onTestExit(_ cleanup: @escaping @Sendable () -> Void) {
        beforeTestExit.withLock { $0 = cleanup }
    }

    func powerOff(_ reason: String) -> Never {
        Log.info("powering off: \(reason)")
        if testMode {
            beforeTestExit.withLock { $0 }?()
            exit(0)
        }
        if hull_power_off() != 0 {
            Log.info("reboot(RB_POWER_OFF) failed: \(SystemError.message(for: errno))")
        }
        // PID 1 must not exit (the kernel would panic); wait for the end instead.
        while true {
            pause()
        }
    }
}
