import HullAPI
import HullEngine

/// Hull's API face: the engine's record of a container as `GET /v1/containers…` shows it.
extension ContainerInfo {
    init(_ record: ContainerRecord) {
        let process = record.spec.process
        self.init(id: record.id, name: record.name, image: record.image, command: process.command, state: record.state,
                  createdAt: record.createdAt, startedAt: record.startedAt, finishedAt: record.finishedAt,
                  exitCode: record.exitCode, exitReason: record.exitReason, oomKilled: record.oomKilled,
                  domain: record.domain, isolation: record.isolation, tty: process.tty, openStdin: process.openStdin,
                  request: CreateContainerRequest(spec: record.spec), network: record.networkState)
    }
}
