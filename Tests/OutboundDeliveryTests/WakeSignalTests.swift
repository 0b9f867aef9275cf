@testable import OutboundDelivery
import Testing

@Suite struct WakeSignalTests {
    @Test func aSignalBeforeTheWaitIsKept() async {
        let signal = WakeSignal()
        signal.signal()
        let start = ContinuousClock.now
        await signal.wait(upTo: .seconds(30))
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func theWaitEndsAtTheTimeoutWithoutASignal() async {
        let signal = WakeSignal()
        await signal.wait(upTo: .milliseconds(50))
    }

    @Test func aSignalWakesAWaiter() async {
        let signal = WakeSignal()
        async let waited: Void = signal.wait(upTo: .seconds(30))
        try? await Task.sleep(for: .milliseconds(50))
        signal.signal()
        await waited
    }
}
