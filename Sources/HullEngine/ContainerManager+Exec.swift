import Foundation
import HullModel
import HullProtocol
import HullRuntime

/// `exec`: more processes in a running container (Sandbox.exec, every mode), each with its own stdio, TTY,
/// log and exit code.
extension ContainerManager {
    package func exec(_ reference: String, _ request: ExecSpec) async throws -> String {
        guard !request.command.isEmpty else { throw EngineError.invalid("exec needs a command") }
        let (record, running) = try running(reference)
        let execID = ContainerID.generate().full
        let log = try LogFile(directory: containerDirectory(record.id).appendingPathComponent("exec"), name: execID,
                              policy: record.spec.log ?? LogSpec())
        let pipes = try ProcessPipes(openStdin: request.openStdin, log: log)
        let session = ExecSession(id: execID, containerID: record.id, command: request.command, log: log, pipes: pipes)
        running.execs.withLock { $0[execID] = session }
        execIndex.withLock { $0[execID] = session }

        var size: WindowSize?
        if request.tty { size = WindowSize(rows: request.rows ?? 24, columns: request.columns ?? 80) }
        let spec = ExecProcess(args: request.command, env: request.env, cwd: request.workdir,
                               terminal: request.tty, windowSize: size, stdin: request.openStdin)
        do {
            let process = try await running.sandbox.exec(spec, stdio: pipes.stdio)
            session.process.withLock { $0 = process }
            Task {
                let code = (try? await process.wait())?.shellStatus ?? 137
                await pipes.finish()
                log.finish()
                session.finished(code)
            }
        } catch {
            // As `docker exec`: the reason on the exec's stderr, 127/126 for a command that
            // is missing or not executable, 126 for other start failures.
            let message = "\(error)"
            let code = (error as? RunError)?.exitCode ?? RunError.startFailed(message).exitCode
            log.append(stream: 2, Array("hull exec: \(message)\n".utf8))
            await pipes.finish()
            log.finish()
            session.finished(code == 125 ? 126 : code)
        }
        return execID
    }

    func execSession(_ id: String) throws -> ExecSession {
        guard let session = execIndex.withLock({ $0[id] }) else { throw EngineError.notFound("no such exec: \(id)") }
        return session
    }

    /// The exec's output, followed until it ends.
    package func execOutput(_ id: String) throws -> AsyncStream<OutputFrame> {
        var query = LogQuery()
        query.follow = true
        return LogReader(log: try execSession(id).log, query: query).frames()
    }

    /// The exec's exit code, once it ended.
    package func execWait(_ id: String) async throws -> Int32 {
        try await execSession(id).wait()
    }

    package func execInfo(_ id: String) throws -> ExecInfo {
        let s = try execSession(id)
        let code = s.exit.withLock { $0 }
        return ExecInfo(execID: s.id, containerID: s.containerID, command: s.command, running: code == nil, exitCode: code)
    }

    package func execSignal(_ id: String, signal: Int32) async throws {
        let s = try execSession(id)
        guard let process = s.process.withLock({ $0 }), s.exit.withLock({ $0 }) == nil else {
            throw EngineError.conflict("exec \(id) is not running")
        }
        try await process.signal(signal)
    }

    package func execResize(_ id: String, rows: UInt16, columns: UInt16) async throws {
        let s = try execSession(id)
        guard let process = s.process.withLock({ $0 }), s.exit.withLock({ $0 }) == nil else {
            throw EngineError.conflict("exec \(id) is not running")
        }
        try await process.resize(WindowSize(rows: rows, columns: columns))
    }

    /// Forgets the execs of a removed container.
    func dropExecs(of containerID: String) {
        execIndex.withLock { index in
            for (id, s) in index where s.containerID == containerID { index.removeValue(forKey: id) }
        }
    }
}
