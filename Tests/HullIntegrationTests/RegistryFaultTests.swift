import Foundation
import HullRuntime
import Testing

extension Integration {
    @Suite("registry faults: dropped connections, wrong content, error answers, oversized manifests", .serialized)
    struct RegistryFaultTests {
        init() throws { try RegistryFixture.requireTools() }

        @Test("a pull survives dropped connections by resuming, gives up cleanly when the registry stays away, and rejects bad answers")
        func faults() throws {
            let layout = try RegistryFixture.layout.get()
            let work = try RegistryFixture.scratch("registry-faults")
            defer { try? FileManager.default.removeItem(at: work) }
            let registry = try TestRegistry(in: work.appendingPathComponent("registry"))
            defer { registry.stop() }
            try TestImages.copy(layout, "multi", to: "\(registry.host)/faults/app:1")

            let proxy = try FaultProxy(upstream: registry.host, in: work)
            defer { proxy.stop() }
            let p = proxy.host
            func setMode(_ text: String) throws { try proxy.setMode(text) }
            let name = "\(p)/faults/app:1"
            RegistryFixture.removeImages([name, "\(registry.host)/faults/app:1"])
            defer { RegistryFixture.removeImages([name, "\(registry.host)/faults/app:1"]) }

            // Two blob answers cut after 300000 bytes: resumed with Range, image complete.
            try setMode("cut 300000 2")
            let resumed = try HullCLI.run(["pull", name])
            #expect(resumed.status == 0, "\(resumed.err)")
            let requests = try proxy.requests().joined(separator: "\n")
            // The proxy sends 300000 bytes before dropping the connection; what reached hull
            // can be less (bytes in flight die with the connection), never nothing.
            let resumedFrom = requests.split(separator: "\n").compactMap { line -> Int? in
                guard let range = line.split(separator: " ").last, range.hasPrefix("bytes="), range.hasSuffix("-") else { return nil }
                return Int(range.dropFirst("bytes=".count).dropLast())
            }
            #expect(!resumedFrom.isEmpty && resumedFrom.allSatisfy { (1...300000).contains($0) },
                    "a resumed download asks for the rest, from what it already has: \(requests)")
            #expect(try RegistryFixture.inStore(name))
            RegistryFixture.removeImages([name])

            // Every blob answer cut: retried, then one clear error; the store has nothing of it.
            try setMode("cut 300000 1000")
            let dropped = try HullCLI.run(["pull", name])
            #expect(dropped.status == 1)
            #expect(dropped.err.contains("from \(p)/faults/app failed after 5 attempts"), "\(dropped.err)")
            #expect(dropped.err.contains("nothing was stored"))
            #expect(!(try RegistryFixture.inStore(name)))
            #expect(RegistryFixture.strayTempEntries().isEmpty)

            // Error answers become one line naming registry and repository.
            for (code, words) in [("429", "too many requests (429)"), ("403", "access denied (403)"), ("401", "authentication required")] {
                try setMode("status \(code) /manifests/")
                let answer = try HullCLI.run(["pull", name])
                #expect(answer.status == 1)
                #expect(answer.err.contains("manifest faults/app:1 from \(p)/faults/app: \(words)"), "\(code): \(answer.err)")
                #expect(answer.err.contains("fault injected by the test proxy"))
                #expect(answer.err.split(separator: "\n").filter { $0.hasPrefix("hull:") }.count == 1)
            }
            try setMode("status 503 /blobs/sha256")
            let unavailable = try HullCLI.run(["pull", name])
            #expect(unavailable.err.contains("failed after 5 attempts: HTTP 503"), "\(unavailable.err)")

            try setMode("pass")
            let missing = try HullCLI.run(["pull", "\(p)/faults/nothere:1"])
            #expect(missing.status == 1)
            #expect(missing.err.contains("\(p)/faults/nothere: not found (404)"), "\(missing.err)")

            // Pushes: upload sessions refused with 503 are retried, then one clear error;
            // once the registry answers again the push goes through.
            let pushed = "\(p)/faults/pushed:1"
            defer { RegistryFixture.removeImages([pushed]) }
            #expect(try HullCLI.run(["tag", "busybox", pushed]).status == 0)
            try setMode("status 503 /blobs/uploads/")
            let refused = try HullCLI.run(["push", pushed])
            #expect(refused.status == 1)
            #expect(refused.err.contains("from \(p)/faults/pushed failed after 5 attempts: HTTP 503"), "\(refused.err)")
            try setMode("pass")
            let accepted = try HullCLI.run(["push", pushed])
            #expect(accepted.status == 0, "\(accepted.err)")

            // A manifest over 4 MiB is refused without being read.
            try setMode("bigmanifest 5000000")
            let big = try HullCLI.run(["pull", name])
            #expect(big.status == 1)
            #expect(big.err.contains("is larger than 4096 KiB"), "\(big.err)")

            // A blob whose bytes the registry serves wrong is rejected and not stored.
            try setMode("pass")
            let raw = try ExternalTool.run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/faults/app:1"])
            struct Manifest: Decodable { struct Layer: Decodable { var digest: String; var size: Int }; var layers: [Layer] }
            let largest = try JSONDecoder().decode(Manifest.self, from: Data(raw.utf8)).layers.max { $0.size < $1.size }!
            let data = registry.blobData(String(largest.digest.dropFirst(7)))
            var bytes = try Data(contentsOf: data)
            bytes[bytes.count / 2] ^= 0xff
            try bytes.write(to: data)
            let corrupt = try HullCLI.run(["pull", "\(registry.host)/faults/app:1"])
            #expect(corrupt.status == 1)
            #expect(corrupt.err.contains("does not match its digest: expected \(largest.digest)"), "\(corrupt.err)")
            #expect(!(try RegistryFixture.inStore("\(registry.host)/faults/app:1")))

            // The registry stopped: a clear error naming it.
            registry.stop()
            let gone = try HullCLI.run(["pull", "\(registry.host)/faults/app:1"])
            #expect(gone.status == 1)
            #expect(gone.err.contains("cannot reach registry \(registry.host): connection refused"), "\(gone.err)")
            #expect(RegistryFixture.strayTempEntries().isEmpty)
        }
    }
}
