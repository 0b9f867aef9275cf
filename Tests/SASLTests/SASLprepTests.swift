import Testing
@testable import SASL

@Suite("SASLprep (RFC 4013)")
struct SASLprepTests {
    /// RFC 4013 §3, the examples table, plus one case per mapping and prohibition rule.
    @Test(arguments: [
        ("I\u{AD}X", "IX"),             // RFC 4013 §3 #1: SOFT HYPHEN mapped to nothing
        ("user", "user"),               // #2: no transformation
        ("USER", "USER"),               // #3: case preserved, will not match #2
        ("\u{AA}", "a"),                // #4: output is NFKC, input in ISO 8859-1
        ("\u{2168}", "IX"),             // #5: output is NFKC, will match #1
        ("a\u{A0}b", "a b"),            // C.1.2 non-ASCII space → SPACE (RFC 4013 §2.1)
        ("a\u{3000}b", "a b"),          // IDEOGRAPHIC SPACE
        ("a\u{200B}b", "ab"),           // ZERO WIDTH SPACE: B.1, mapped to nothing
        ("a\u{FEFF}b", "ab"),           // ZERO WIDTH NO-BREAK SPACE: B.1
        ("\u{FB01}", "fi"),             // compatibility ligature under NFKC
        ("\u{65}\u{301}", "\u{E9}"),    // composed under NFKC
        ("\u{627}\u{628}", "\u{627}\u{628}"),  // RandALCat only: allowed
        ("\u{627}1\u{628}", "\u{627}1\u{628}"),  // RandALCat first and last, a digit between
    ])
    func preparesTheRFCExamples(input: String, output: String) {
        #expect(SASLprep.prepare(input) == output)
    }

    @Test(arguments: [
        "\u{7}",           // RFC 4013 §3 #6: prohibited (C.2.1 ASCII control)
        "\u{627}1",        // #7: bidi rule, RandALCat not at the end (RFC 3454 §6 rule 3)
        "a\u{0}b",         // C.2.1
        "a\u{7F}",         // C.2.1 DELETE
        "a\u{85}",         // C.2.2 non-ASCII control
        "a\u{E000}",       // C.3 private use
        "a" + String(Unicode.Scalar(0xFDD0)!),  // C.4 non-character (Swift literals refuse it)
        "a\u{FFFD}",       // C.6 inappropriate for plain text
        "a\u{2FF0}",       // C.7 inappropriate for canonical representation
        "a\u{200E}",       // C.8 LEFT-TO-RIGHT MARK
        "a\u{E0001}",      // C.9 tagging character
        "\u{627}a\u{628}", // RandALCat with LCat (RFC 3454 §6 rule 2)
        "1\u{627}",        // RandALCat not first
    ])
    func refusesProhibitedAndBidiViolations(input: String) {
        #expect(SASLprep.prepare(input) == nil)
    }

    /// RFC 4013 §2.5: unassigned code points are allowed in queries (U+0221 was unassigned in
    /// Unicode 3.2; U+1F600 too).
    @Test func allowsUnassignedCodePoints() {
        #expect(SASLprep.prepare("a\u{1F600}") == "a\u{1F600}")
    }

    @Test func leavesPrintableASCIIAlone() {
        let ascii = String(decoding: (0x20...0x7E).map { UInt8($0) }, as: UTF8.self)
        #expect(SASLprep.prepare(ascii) == ascii)
    }

    /// The tables are sorted and disjoint: the binary search depends on it.
    @Test func tablesAreSortedAndDisjoint() {
        for table in [StringprepTables.mappedToNothing, StringprepTables.nonASCIISpaces, StringprepTables.prohibited,
                      StringprepTables.randALCat, StringprepTables.lCat] {
            #expect(zip(table, table.dropFirst()).allSatisfy { $0.upperBound < $1.lowerBound })
        }
    }
}
