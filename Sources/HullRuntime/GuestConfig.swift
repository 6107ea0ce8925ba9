import HullLibvirt

/// How one guest VM is shaped.
public struct GuestConfig: Sendable {
    public var memoryMiB: Int = 256
    public var vcpus: Int = 1
    /// nil: decide from the host (CPU flags + /dev/kvm), honouring HULL_ACCEL.
    public var accelerationOverride: String?
    /// How long the guest may take from `virDomainCreateXML` to answering `hello`.
    public var bootTimeout: Duration = .seconds(30)
    /// Appended to the kernel command line (diagnostics and tests).
    public var extraKernelArgs: [String] = []

    public init() {}

    /// Memory the guest needs beyond what the container asked for with --memory: its
    /// kernel, the agent and page cache for the root disk.
    public static let overheadMiB = 64

    /// Kernel arguments every guest gets. `quiet` keeps the serial console (slow under
    /// TCG) short while still showing panics; `panic=-1` reboots on panic, which libvirt
    /// turns into a destroyed domain, so a broken guest is noticed at once.
    static let baseKernelArgs = [
        "console=ttyS0", "quiet", "panic=-1",
        // Skip probing hardware the guest does not have; it costs time under TCG.
        "i8042.noaux", "i8042.nomux", "i8042.nopnp", "i8042.dumbkbd",
        "tsc=reliable", "no_timer_check",
    ]
}
