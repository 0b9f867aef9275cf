import Testing
import TsubameConfig
@testable import TsubameServer

@Suite("Shared settings of the running server")
struct LiveConfigurationTests {
    @Test func connectionsShareOneCopyUntilAChange() {
        var settings = TsubameConfiguration()
        settings.hostname = "mx.example"
        let live = LiveConfiguration(settings)
        let first = live.snapshot
        #expect(live.snapshot === first)
        // Reading under the lock, or writing the same values, keeps the shared copy.
        #expect(live.withLockedValue { $0.hostname } == "mx.example")
        live.withLockedValue { $0.hostname = "mx.example" }
        #expect(live.snapshot === first)
        // A change is a new copy; the connections holding the old one keep their settings.
        live.withLockedValue { $0.hostname = "mail.example" }
        #expect(live.snapshot !== first)
        #expect(live.snapshot.settings.hostname == "mail.example")
        #expect(first.settings.hostname == "mx.example")
    }
}
