import HullRuntime
import Testing

@Suite("one-shot events awaited with a deadline (stop waits on a container's exit)")
struct OneShotEventTests {
    // Waits of an hour under a one-minute limit: only the fire can end them in time.
    @Test("fired before or during the wait: true; never fired: false once the deadline passed", .timeLimit(.minutes(1)))
    func deadline() async {
        let early = OneShotEvent()
        early.fire()
        #expect(await early.wait(for: .seconds(3600)))

        let later = OneShotEvent()
        Task {
            try? await Task.sleep(for: .milliseconds(50))
            later.fire()
        }
        #expect(await later.wait(for: .seconds(3600)), "woken by the fire, long before the deadline")

        let never = OneShotEvent()
        #expect(await never.wait(for: .milliseconds(50)) == false)
        #expect(never.fired == false)
    }

    @Test("many waiters are all woken by one fire", .timeLimit(.minutes(1)))
    func many() async {
        let event = OneShotEvent()
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { await event.wait(for: .seconds(3600)) } }
            try? await Task.sleep(for: .milliseconds(20))
            event.fire()
            var woken = 0
            for await ok in group where ok { woken += 1 }
            #expect(woken == 20)
        }
    }
}
