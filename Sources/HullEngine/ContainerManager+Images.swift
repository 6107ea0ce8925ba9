import Foundation
import HullImages

extension ContainerManager {
    /// Which containers use which image (manifest digest → names): every container hulld
    /// keeps, running or not, as `docker rmi` counts them, plus run folders of containers
    /// hulld does not own (`hull bench`/`probe` runs) by their id.
    package func imageUsers() -> [Digest: [String]] {
        var users: [Digest: [String]] = [:]
        let records = (try? store.all()) ?? []
        let images = ImageStore(home: paths.home, logger: logger)
        for record in records where record.spec.rootfs == nil {
            let digest = record.imageDigest.flatMap { try? Digest(parsing: $0) } ?? (try? images.resolve(record.image).manifestDigest)
            if let digest { users[digest, default: []].append(record.name) }
        }
        let owned = Set(records.map { String($0.id.prefix(12)) })
        let foreign = ImageUsage(runs: paths.runs).current().mapValues { $0.filter { !owned.contains($0) } }.filter { !$0.value.isEmpty }
        guard !foreign.isEmpty else { return users }
        let leftovers = Set(orphanRunFolders().map(\.lastPathComponent))
        for (digest, runs) in foreign {
            for run in runs where !leftovers.contains(run) { users[digest, default: []].append(run) }
        }
        return users
    }
}
