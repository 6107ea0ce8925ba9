/// A mount's `options` as mount(2) wants them: flags, propagation, and the rest as the
/// filesystem's data string (the kernel judges those, as with runc).
struct MountOptions: Equatable {
    var flags: UInt = 0
    var bind = false
    var recursive = false
    var propagation: UInt = 0
    var data: [String] = []

    // linux/mount.h; stable ABI.
    static let readOnly: UInt = 1, noSUID: UInt = 2, noDev: UInt = 4, noExec: UInt = 8
    static let synchronous: UInt = 16, mandatoryLocks: UInt = 64, dirSync: UInt = 128
    static let noATime: UInt = 1 << 10, noDirATime: UInt = 1 << 11, bindFlag: UInt = 1 << 12
    static let recursiveFlag: UInt = 1 << 14, silent: UInt = 1 << 15, unbindable: UInt = 1 << 17
    static let privateFlag: UInt = 1 << 18, slave: UInt = 1 << 19, shared: UInt = 1 << 20
    static let relATime: UInt = 1 << 21, iVersion: UInt = 1 << 23, strictATime: UInt = 1 << 24
    static let lazyTime: UInt = 1 << 25

    /// option → (flags to set, flags to clear)
    private static let flagOptions: [String: (set: UInt, clear: UInt)] = [
        "defaults": (0, 0),
        "ro": (readOnly, 0), "rw": (0, readOnly),
        "nosuid": (noSUID, 0), "suid": (0, noSUID),
        "nodev": (noDev, 0), "dev": (0, noDev),
        "noexec": (noExec, 0), "exec": (0, noExec),
        "sync": (synchronous, 0), "async": (0, synchronous),
        "dirsync": (dirSync, 0),
        "mand": (mandatoryLocks, 0), "nomand": (0, mandatoryLocks),
        "noatime": (noATime, 0), "atime": (0, noATime),
        "nodiratime": (noDirATime, 0), "diratime": (0, noDirATime),
        "relatime": (relATime, 0), "norelatime": (0, relATime),
        "strictatime": (strictATime, 0), "nostrictatime": (0, strictATime),
        "iversion": (iVersion, 0), "noiversion": (0, iVersion),
        "lazytime": (lazyTime, 0), "nolazytime": (0, lazyTime),
        "silent": (silent, 0), "loud": (0, silent),
    ]

    private static let propagationOptions: [String: UInt] = [
        "private": privateFlag, "rprivate": privateFlag | recursiveFlag,
        "shared": shared, "rshared": shared | recursiveFlag,
        "slave": slave, "rslave": slave | recursiveFlag,
        "unbindable": unbindable, "runbindable": unbindable | recursiveFlag,
    ]

    /// runc extensions and idmapped mounts, which this agent does not implement.
    private static let rejected: Set<String> = [
        "remount", "tmpcopyup", "idmap", "ridmap", "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev",
        "rnoexec", "rexec", "rnodiratime", "rdiratime", "rrelatime", "rnorelatime", "rnoatime", "ratime",
        "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow", "nosymfollow", "symfollow",
    ]

    init(_ options: [String]?, destination: String) throws(AgentError) {
        for option in options ?? [] {
            if let (set, clear) = MountOptions.flagOptions[option] {
                flags = (flags | set) & ~clear
            } else if option == "bind" {
                bind = true
            } else if option == "rbind" {
                bind = true
                recursive = true
            } else if let value = MountOptions.propagationOptions[option] {
                propagation = value
            } else if MountOptions.rejected.contains(option) {
                throw AgentError("mount \(destination): option \"\(option)\" is not supported")
            } else {
                data.append(option)
            }
        }
    }
}
