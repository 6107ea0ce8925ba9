import CAgentSupport
import Glibc
import HullProtocol

/// The descriptors wiring a new process to the agent: pipes for stdin, stdout and stderr,
/// or one pseudo-terminal for all three.
struct ProcessStdio {
    /// What the child gets as 0, 1 and 2.
    let childInput: Int32
    let childOutput: Int32
    let childErrorOutput: Int32
    /// Descriptors to close in the agent once the child has them (not /dev/null, shared).
    let childOwned: [Int32]
    let parent: ParentEnds
    let isTerminal: Bool

    /// The agent's ends, owned by the process's pumps and writer.
    struct ParentEnds: Sendable {
        let input: Int32?
        let output: Int32
        let errorOutput: Int32?
        /// Pty master for resize and signals.
        let terminal: Int32?
    }

    static func make(for spec: ProcessSpec, devNull: Int32) throws(SystemError) -> ProcessStdio {
        spec.terminal ? try terminal(spec, devNull: devNull) : try pipes(spec, devNull: devNull)
    }

    /// For a container: pipes as for any process, but a terminal comes from the
    /// container's own devpts, created by the child. Until its master arrives
    /// (`adoptTerminal`), the agent's ends are placeholders on /dev/null, so the process's
    /// pumps can be built with their final descriptor numbers.
    static func makeForContainer(_ spec: ProcessSpec, devNull: Int32) throws(SystemError) -> ProcessStdio {
        guard spec.terminal else { return try pipes(spec, devNull: devNull) }
        var placeholders: [Int32] = []
        do {
            let input = spec.stdin ? try FileIO.duplicate(devNull) : nil
            if let input { placeholders.append(input) }
            let output = try FileIO.duplicate(devNull)
            placeholders.append(output)
            let control = try FileIO.duplicate(devNull)
            return ProcessStdio(
                childInput: -1, childOutput: -1, childErrorOutput: -1,
                childOwned: [],
                parent: ParentEnds(input: input, output: output, errorOutput: nil, terminal: control),
                isTerminal: true)
        } catch {
            for fd in placeholders { close(fd) }
            throw error
        }
    }

    /// Puts the terminal's master in place of every placeholder, then closes `master`.
    /// (dup2 then close-on-exec is not atomic, but only the main thread forks, and it is
    /// here.)
    func adoptTerminal(master: Int32) throws(SystemError) {
        defer { close(master) }
        for fd in [parent.input, parent.output, parent.terminal].compactMap({ $0 }) {
            guard dup2(master, fd) >= 0, fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 else {
                throw SystemError("installing the container's terminal")
            }
        }
    }

    /// Closes the child's descriptors in the agent (after the fork).
    func closeChildEnds() {
        for fd in childOwned { close(fd) }
    }

    private static func pipes(_ spec: ProcessSpec, devNull: Int32) throws(SystemError) -> ProcessStdio {
        var opened: [Int32] = []
        do {
            let input = spec.stdin ? try FileIO.makePipe() : nil
            if let input { opened += [input.read, input.write] }
            let output = try FileIO.makePipe()
            opened += [output.read, output.write]
            let errorOutput = try FileIO.makePipe()
            opened += [errorOutput.read, errorOutput.write]
            return ProcessStdio(
                childInput: input?.read ?? devNull,
                childOutput: output.write,
                childErrorOutput: errorOutput.write,
                childOwned: [input?.read, output.write, errorOutput.write].compactMap { $0 },
                parent: ParentEnds(input: input?.write, output: output.read, errorOutput: errorOutput.read, terminal: nil),
                isTerminal: false)
        } catch {
            for fd in opened { close(fd) }
            throw error
        }
    }

    private static func terminal(_ spec: ProcessSpec, devNull: Int32) throws(SystemError) -> ProcessStdio {
        var master: Int32 = -1
        var slave: Int32 = -1
        let size = spec.windowSize
        guard hull_open_pty(&master, &slave, size?.rows ?? 0, size?.columns ?? 0) == 0 else {
            throw SystemError("opening a pseudo-terminal")
        }
        var duplicates: [Int32] = []
        do {
            // Separate descriptors for the output pump and the stdin writer: each closes
            // its own when done, and the terminal lives until the last is closed.
            let input = spec.stdin ? try FileIO.duplicate(master) : nil
            if let input { duplicates.append(input) }
            let control = try FileIO.duplicate(master)
            return ProcessStdio(
                childInput: slave, childOutput: slave, childErrorOutput: slave,
                childOwned: [slave],
                parent: ParentEnds(input: input, output: master, errorOutput: nil, terminal: control),
                isTerminal: true)
        } catch {
            for fd in duplicates + [master, slave] { close(fd) }
            throw error
        }
    }
}
