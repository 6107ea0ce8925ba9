import CLibvirt

/// Process-wide libvirt set-up, done once before the first connection.
enum LibvirtLibrary {
    /// `virInitialize` must run before threads use libvirt. The no-op error function
    /// stops libvirt's default handler from printing every error to stderr on its own:
    /// Hull reads the error (`virGetLastError`, kept per thread) and throws it instead,
    /// so the user sees each failure once, with a hint, where it matters.
    static let ready: Void = {
        _ = virInitialize()
        virSetErrorFunc(nil) { _, _ in }
    }()
}
