import HullModel

/// A client's stdin for a container's main process or an exec: one client per process
/// (the first), copied in order, closed at the end (the process reads EOF).
extension ContainerManager {
    package func sendStdin<S: AsyncSequence>(_ reference: String, _ chunks: S) async throws where S.Element == [UInt8] {
        let (_, running) = try running(reference)
        try await Self.copy(chunks, to: running.pipes, claim: running.claimStdin)
    }

    package func sendExecStdin<S: AsyncSequence>(_ id: String, _ chunks: S) async throws where S.Element == [UInt8] {
        let session = try execSession(id)
        try await Self.copy(chunks, to: session.pipes, claim: session.claimStdin)
    }

    private static func copy<S: AsyncSequence>(_ chunks: S, to pipes: ProcessPipes, claim: () -> Bool) async throws
    where S.Element == [UInt8] {
        guard pipes.stdinWriter != nil else {
            throw EngineError.conflict("stdin is not open for this process (start it with -i)")
        }
        guard claim() else { throw EngineError.conflict("another client already sends this process's stdin") }
        for try await chunk in chunks {
            try await pipes.writeStdin(chunk)
        }
        pipes.closeStdin()
    }
}
