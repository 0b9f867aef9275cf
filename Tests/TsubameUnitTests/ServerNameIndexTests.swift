import Testing
@testable import TsubameServer

@Suite("SNI name index")
struct ServerNameIndexTests {
    func index() -> ServerNameIndex<String> {
        var index = ServerNameIndex<String>()
        index.add("other", names: ["other.example", "Mail.Other.Example"])
        index.add("wild", names: ["*.wild.example"])
        index.add("exact-under-wild", names: ["special.wild.example"])
        return index
    }

    @Test func exactNamesIgnoreCaseAndTheTrailingDot() {
        let index = index()
        #expect(index.lookup("other.example") == "other")
        #expect(index.lookup("MAIL.other.example.") == "other")
        #expect(index.lookup("www.other.example") == nil)
    }

    @Test func aWildcardCoversExactlyOneLabel() {
        let index = index()
        #expect(index.lookup("a.wild.example") == "wild")
        #expect(index.lookup("wild.example") == nil)
        #expect(index.lookup("a.b.wild.example") == nil)
        #expect(index.lookup(".wild.example") == nil)
    }

    @Test func anExactNameBeatsAWildcard() {
        #expect(index().lookup("special.wild.example") == "exact-under-wild")
    }

    @Test func noNameOrAnUnknownOneMeansTheDefault() {
        let index = index()
        #expect(index.lookup(nil) == nil)
        #expect(index.lookup("") == nil)
        #expect(index.lookup("example") == nil)
        #expect(ServerNameIndex<String>().isEmpty)
    }

    @Test func theFirstCertificateForANameWins() {
        var index = ServerNameIndex<String>()
        #expect(index.add("first", names: ["a.example", "*.b.example"]).isEmpty)
        #expect(index.add("second", names: ["A.example", "*.b.example", "c.example"]) == ["a.example", "*.b.example"])
        #expect(index.lookup("a.example") == "first")
        #expect(index.lookup("x.b.example") == "first")
        #expect(index.lookup("c.example") == "second")
    }

    @Test func aWildcardForATopLevelDomainMatchesNothing() {
        var index = ServerNameIndex<String>()
        index.add("tld", names: ["*.example"])
        #expect(index.lookup("a.example") == nil)
    }
}
