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
    /// kernel, the agent and page cache for the root disk. The container's own cgroup in
    /// the guest holds it to --memory, so this part is the agent's and the kernel's alone.
    public static let overheadMiB = 128

    /// The guest's size for a container limited to `containerMiB` (validated, ≤ 1 TiB).
    public static func memoryMiB(forContainer containerMiB: Int) -> Int {
        containerMiB + overheadMiB
    }

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
