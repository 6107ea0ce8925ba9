import CAgentSupport
import Glibc

/// How the agent ends: as PID 1 of a guest it syncs and powers the VM off (libvirt then
/// destroys the domain); in test mode it simply exits.
struct PowerControl: Sendable {
    let testMode: Bool

    func powerOff(_ reason: String) -> Never {
        Log.info("powering off: \(reason)")
        if testMode {
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
