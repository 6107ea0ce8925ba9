import Foundation
import HullAPI
import Testing

/// `hull system df|prune` and the volume API's refusals, against a hulld of their own
/// (a prune must not touch other tests' containers).
extension Integration {
    @Suite("hull system df and prune", .serialized)
    struct SystemTests {
        @Test("df counts what hulld keeps; prune removes what nothing uses and keeps the rest")
        func dfAndPrune() throws {
            let d = try DaemonHarness(hulldArguments: ["--default-isolation", "process"])
            let exited = try d.hull(["run", "--name", "done", "-v", "kept:/k", "busybox", "sh", "-c", "echo data > /k/f"])
            #expect(exited.status == 0, "\(exited.err)")
            #expect(try d.hull(["rm", "done"]).status == 0)
            _ = try d.hull(["run", "--name", "stopped", "busybox", "true"])
            let running = try d.hull(["run", "-d", "--name", "busy", "-v", "used:/u", "busybox", "sleep", "300"])
            #expect(running.status == 0, "\(running.err)")

            let df = try d.hull(["system", "df"])
            #expect(df.status == 0, "\(df.err)")
            let rows = Dictionary(uniqueKeysWithValues: df.out.split(separator: "\n").dropFirst().map { line in
                let cells = line.split(separator: " ").map(String.init)
                return (cells[0], cells)
            })
            #expect(rows["Containers"]?[1] == "2" && rows["Containers"]?[2] == "1", "\(df.out)")
            #expect(rows["Volumes"]?[1] == "2" && rows["Volumes"]?[2] == "1", "\(df.out)")
            #expect(rows["Volumes"]?[4] == "5B", "the unused volume's 5 bytes are reclaimable: \(df.out)")

            // Without --volumes: only the stopped container goes.
            let prune = try d.hull(["system", "prune"])
            #expect(prune.out.contains("Deleted container: stopped"), "\(prune.out)")
            #expect(!prune.out.contains("busy"))
            #expect(try d.hull(["volume", "ls", "-q"]).out == "kept\nused\n")
            let withVolumes = try d.hull(["system", "prune", "--volumes"])
            #expect(withVolumes.out.contains("Deleted volume: kept"), "\(withVolumes.out)")
            #expect(try d.hull(["volume", "ls", "-q"]).out == "used\n", "a volume in use stays")
            #expect(try d.hull(["ps", "-q"]).out.split(separator: "\n").count == 1, "the running container stays")
            let inUse = try d.hull(["volume", "rm", "used"])
            #expect(inUse.status == 1 && inUse.err.contains("busy"), "\(inUse.err)")
            let missing = try d.hull(["volume", "inspect", "nosuch"])
            #expect(missing.status == 1 && missing.err.contains("no such volume: nosuch"), "\(missing.err)")
            _ = try d.hull(["rm", "-f", "busy"])
        }
    }
}
