import Foundation

/// `hull top` under runc/runsc, from outside the container: nothing needed in the image.
extension OCIRuntimeSandbox {
    func processTable() async throws -> ProcessTable? {
        if runtime.containerProcessesAreHostProcesses {
            let listed = try await command(["ps", "--format", "json", id])
            guard listed.status.code == 0,
                  let pids = try? JSONDecoder().decode([Int32].self, from: Data(listed.output.utf8)) else {
                throw RunError.startFailed("\(tool) ps: \(listed.output.prefix(300))")
            }
            return HostProcesses.table(pids)
        }
        let listed = try await command(["ps", id])
        guard listed.status.code == 0 else { throw RunError.startFailed("\(tool) ps: \(listed.output.prefix(300))") }
        return ProcessTable.parse(listed.output)
    }
}
