import Testing
@testable import IMAPMailbox

@Suite struct IMAPMailboxPlaceholderTests {
    @Test func targetBuilds() { #expect(IMAPMailConfiguration().appendLimit > 0) }
}
