import Testing
@testable import DeliveryReports

/// The small encoders under the report: quoted-printable (RFC 2045 §6.7), field folding
/// (RFC 5322 §2.2.3), status codes (RFC 3463 §2).
@Suite("Delivery reports: encodings")
struct EncodingTests {
    @Test func quotedPrintableEncodesEqualsSignsEightBitAndTrailingSpace() {
        #expect(QuotedPrintable.encode("a=b ü \nnext\t") == "a=3Db =C3=BC=20\nnext=09")
    }

    @Test func quotedPrintableBreaksLongLinesSoftlyAtSeventySixCharacters() {
        let encoded = QuotedPrintable.encode(String(repeating: "é", count: 40))
        let lines = encoded.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
        #expect(lines.dropLast().allSatisfy { $0.hasSuffix("=") })
        #expect(encoded.replacingOccurrences("=\n", "") == String(repeating: "=C3=A9", count: 40))
    }

    @Test func foldingBreaksBeforeASpaceAndNeverInsideAWord() {
        let value = Array(repeating: "word", count: 30).joined(separator: " ")
        let folded = ReportFieldText.folded(name: "Diagnostic-Code", value: value)
        let lines = folded.split(separator: "\n")
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(" word") })
        #expect(folded.replacingOccurrences("\n ", " ") == "Diagnostic-Code: \(value)\n")
    }

    @Test func sanitizingKeepsPrintableTextAndCutsOnACharacterBoundary() {
        #expect(ReportFieldText.sanitized("  a\tb\r\n\r\nc  ", allowUTF8: false, maximumBytes: 100) == "a b c")
        #expect(ReportFieldText.sanitized("ééé", allowUTF8: true, maximumBytes: 5) == "éé")
        #expect(ReportFieldText.sanitized("a\u{2028}b\u{00A0}c", allowUTF8: true, maximumBytes: 100) == "a b c")
    }

    @Test func enhancedStatusCodesFollowRFC3463Syntax() {
        for valid in ["2.0.0", "4.4.1", "5.1.10", "5.999.999"] { #expect(EnhancedStatusCode(valid) != nil, "\(valid)") }
        for invalid in ["3.0.0", "5.1", "5.1.1.1", "5.01.1", "5.1000.1", "5.a.1", "", "5..1"] {
            #expect(EnhancedStatusCode(invalid) == nil, "\(invalid)")
        }
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
