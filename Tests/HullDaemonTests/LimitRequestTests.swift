import Foundation
import HullAPI
import HullProtocol
import HullRuntime
import Testing
@testable import HullDaemon
@testable import HullEngine

/// Resource limits in create requests: each value range-checked (400), Docker's rules
/// between memory and swap (409), and refusals of what a mode cannot enforce.
@Suite("resource limits: request checks and mode refusals")
struct LimitRequestTests {
    func request(_ json: String) throws -> CreateContainerRequest {
        try JSONDecoder().decode(CreateContainerRequest.self, from: Data(#"{"image": "busybox", \#(json)}"#.utf8))
    }

    /// The 400's message for a value out of range, or nil when accepted.
    func refusal(_ json: String) -> String? {
        do {
            _ = try SpecMapping.options(for: try request(json).spec)
            return nil
        } catch let error as EngineError {
            #expect(error.httpStatus == 400)
            return error.description
        } catch {
            return "not JSON for this field: \(error)"
        }
    }

    @Test("pidsLimit: -1 to 4194304 (0 and -1 unlimited)")
    func pids() {
        for bad in ["-2", "4194305", "1e16", "\"50\""] { #expect(refusal(#""pidsLimit": \#(bad)"#) != nil, "pidsLimit \(bad) accepted") }
        #expect(refusal(#""pidsLimit": -2"#)?.contains("pidsLimit must be -1 or 0 (unlimited) or at most 4194304") == true)
        for good in ["-1", "0", "1", "50", "4194304"] { #expect(refusal(#""pidsLimit": \#(good)"#) == nil, "pidsLimit \(good) refused") }
    }

    @Test("storageSizeMiB: 16 to 1048576")
    func storage() {
        for bad in ["0", "15", "-1", "1048577", "\"64\""] {
            #expect(refusal(#""storageSizeMiB": \#(bad)"#) != nil, "storageSizeMiB \(bad) accepted")
        }
        for good in ["16", "64", "1048576"] { #expect(refusal(#""storageSizeMiB": \#(good)"#) == nil) }
    }

    @Test("memorySwapMiB: -1 or 16 to 1048576; with memoryMiB, not below it (409 otherwise)")
    func swap() throws {
        for bad in ["-2", "0", "15", "1048577"] {
            #expect(refusal(#""memoryMiB": 64, "memorySwapMiB": \#(bad)"#) != nil, "memorySwapMiB \(bad) accepted")
        }
        #expect(throws: InputError.self) { try InputCheck.consistentMemory(memoryMiB: nil, memorySwapMiB: 128) }
        #expect(throws: InputError.self) { try InputCheck.consistentMemory(memoryMiB: 128, memorySwapMiB: 64) }
        for (memory, swap) in [(128, 128), (128, 256), (128, -1)] {
            #expect(throws: Never.self) { try InputCheck.consistentMemory(memoryMiB: memory, memorySwapMiB: swap) }
        }
    }

    @Test("the request's limits reach the container's flags and the guest's size")
    func mapping() throws {
        let options = try SpecMapping.options(for: try request(
            #""memoryMiB": 128, "memorySwapMiB": 256, "pidsLimit": 50, "cpus": 1.5, "storageSizeMiB": 64"#).spec)
        #expect(options.container.memoryMiB == 128 && options.container.memorySwapMiB == 256)
        #expect(options.container.pidsLimit == 50 && options.storageSizeMiB == 64)
        #expect(options.guest.memoryMiB == 128 + GuestConfig.overheadMiB && options.guest.vcpus == 2)
    }
}
