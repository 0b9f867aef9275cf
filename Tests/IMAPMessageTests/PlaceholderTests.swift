import Testing
@testable import IMAPMessage

@Suite struct IMAPMessagePlaceholderTests {
    @Test func targetBuilds() { #expect(MIMELimits().maximumDepth > 0) }
}
