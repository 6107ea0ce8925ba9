@testable import HullRuntime
import Testing

@Suite("Run options")
struct RunOptionsTests {
    @Test("container ids are 64 hex characters and unique")
    func ids() {
        let a = ContainerID.generate(), b = ContainerID.generate()
        #expect(a.full.count == 64)
        #expect(a.full.allSatisfy { $0.isHexDigit })
        #expect(a.short.count == 12)
        #expect(a != b)
    }

    @Test("start failures map to Docker's exit codes")
    func exitCodes() {
        #expect(RunError.startFailed("exec \"x\": No such file or directory").exitCode == 127)
        #expect(RunError.startFailed("exec \"x\": Permission denied").exitCode == 126)
        #expect(RunError.startFailed("chdir /nope: No such file or directory").exitCode == 125)
    }
}

@Suite("Control channel choice")
struct ControlChannelChoiceTests {
    @Test("virtio-serial by default, vsock only when asked and present")
    func choice() throws {
        #expect(try ControlChannelChoice.decide(environment: [:], vhostVsockPresent: true) == .virtioSerial)
        #expect(try ControlChannelChoice.decide(environment: ["HULL_CHANNEL": "vsock"], vhostVsockPresent: true) == .vsock)
        #expect(throws: ControlChannelError.self) {
            try ControlChannelChoice.decide(environment: ["HULL_CHANNEL": "vsock"], vhostVsockPresent: false)
        }
        #expect(throws: ControlChannelError.self) {
            try ControlChannelChoice.decide(environment: ["HULL_CHANNEL": "pigeon"], vhostVsockPresent: true)
        }
        let cid = ControlChannelChoice.randomCID()
        #expect(cid >= 3 && cid < UInt32.max)
    }
}
