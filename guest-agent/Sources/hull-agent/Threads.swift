import CAgentSupport
import Glibc

/// Detached OS threads for the agent's blocking loops (reader, pumps, stdin writers,
/// reaper). Plain threads rather than Swift concurrency: every one of them blocks in a
/// system call, and the static binary stays free of a task runtime.
enum Threads {
    private final class Body: Sendable {
        let name: String
        let run: @Sendable () -> Void
        init(_ name: String, _ run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    static func start(_ name: String, _ run: @escaping @Sendable () -> Void) throws(SystemError) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        // The loops are shallow; a small stack keeps many concurrent processes cheap.
        pthread_attr_setstacksize(&attributes, 512 * 1024)
        let context = Unmanaged.passRetained(Body(name, run)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            hull_set_thread_name(body.name)
            body.run()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw SystemError("starting thread \(name)", code: rc)
        }
    }
}
