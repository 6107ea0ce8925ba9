import Glibc

/// Keeps descriptors 0, 1 and 2 open. When the kernel found no /dev/console for PID 1 they
/// are closed, the first pipe the agent made would become "stdout", and log lines would
/// land in a container's stdin.
enum ConsoleStdio {
    static func ensureOpen() {
        for fd: Int32 in 0...2 where !FileIO.isOpen(fd) {
            var opened = Glibc.open("/dev/console", O_RDWR | O_NOCTTY)
            if opened < 0 {
                opened = Glibc.open("/dev/null", O_RDWR)
            }
            if opened >= 0 && opened != fd {
                dup2(opened, fd)
                close(opened)
            }
        }
    }
}
