import Glibc
import HullProtocol

/// The agent's side of one started process: where its output goes, where its stdin comes
/// from, and its terminal. Its lifecycle (pid, exit, open outputs) is kept by
/// `ProcessTable`.
final class ContainerProcess: Sendable {
    let stream: UInt32
    let argv0: String
    let stdout: OutputPump
    /// nil for a terminal process: the terminal merges stderr into stdout.
    let stderr: OutputPump?
    /// nil when the process's stdin is /dev/null.
    let stdin: StdinWriter?
    /// A pty master kept for resize and signals, closed when the process is gone.
    let terminal: Int32?
    /// A container's main process: its cgroup, asked at the exit whether the OOM killer
    /// struck.
    let cgroup: GuestCgroup?

    init(stream: UInt32, argv0: String, stdio: ProcessStdio.ParentEnds, writer: FrameWriter, cgroup: GuestCgroup? = nil) {
        self.stream = stream
        self.argv0 = argv0
        self.cgroup = cgroup
        let isTerminal = stdio.terminal != nil
        stdout = OutputPump(stream: stream, frameType: .stdout, fd: stdio.output, isTerminal: isTerminal, writer: writer,
                            keepsReplay: writer.keepsReplay)
        stderr = stdio.errorOutput.map {
            OutputPump(stream: stream, frameType: .stderr, fd: $0, isTerminal: false, writer: writer, keepsReplay: writer.keepsReplay)
        }
        stdin = stdio.input.map { StdinWriter(stream: stream, fd: $0, writer: writer) }
        terminal = stdio.terminal
    }

    /// Output streams that must reach their end before the exit is reported.
    var outputCount: Int { stderr == nil ? 1 : 2 }

    func pump(forFD fd: UInt8) -> OutputPump? {
        switch fd {
        case 1: stdout
        case 2: stderr
        default: nil
        }
    }

    /// Starts moving bytes; called once the host has the `start` response, so no output
    /// frame can precede it. `outputFinished` runs once per output stream.
    func startIO(outputFinished: @escaping @Sendable () -> Void) {
        stdin?.start()
        stdout.start(finished: outputFinished)
        stderr?.start(finished: outputFinished)
    }

    /// The start failed: release every descriptor, no thread ever ran.
    func discard() {
        stdout.discard()
        stderr?.discard()
        stdin?.discard()
        if let terminal { close(terminal) }
    }

    /// The process was reaped and its output drained; its exit is reported next.
    func ended() {
        stdin?.abandon()
        if let terminal { close(terminal) }
    }
}
