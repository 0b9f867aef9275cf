import Testing
@testable import TLSProbe

@Suite struct TLSProbePlaceholderTests {
    @Test func exists() { _ = TLSProbe.self }
}
