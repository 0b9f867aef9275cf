import Foundation
import MailAuthentication
import Testing

/// RFC 8601: the field Tsubame renders, read back by an independent parser (PyPI authres),
/// and the authserv-id test used to drop forged fields.
@Suite struct AuthenticationResultsTests {
    struct Rendering: Sendable {
        var spf: SPFOutcome
        var mailFrom: String
        var helo: SPFOutcome?
        var heloName: String
        var dkim: [DKIMVerification]
        var dmarc: DMARCOutcome

        var field: String {
            AuthenticationResultsField.render(authservID: "mx.tsubame.test", spf: spf, mailFrom: mailFrom, helo: helo,
                                              heloName: heloName, dkim: dkim, dmarc: dmarc)
        }
    }

    static let plain = Rendering(
        spf: SPFOutcome(result: .pass, domain: "example.com", reason: "matched ip4:192.0.2.0/24"),
        mailFrom: "user@example.com",
        helo: SPFOutcome(result: .none, domain: "mail.example.com", reason: "no SPF record at mail.example.com"),
        heloName: "mail.example.com",
        dkim: [DKIMVerification(result: .pass, domain: "example.com", selector: "s1", algorithm: "rsa-sha256",
                                signaturePrefix: "abcd/+=x")],
        dmarc: DMARCOutcome(result: .pass, fromDomain: "example.com", policy: .reject, requestedPolicy: .reject,
                            reason: "SPF pass aligned with example.com"))

    static let hostile: [Rendering] = {
        var list: [Rendering] = []
        var quotes = plain
        quotes.mailFrom = "\"odd \\\" local\"@example.com"
        list.append(quotes)
        var parens = plain
        parens.spf.reason = "matched (nested (parens)) \\ and ;; semicolons"
        parens.mailFrom = "a(b)c;d=e@example.com"
        list.append(parens)
        var crlf = plain
        crlf.mailFrom = "evil@example.com\r\nX-Injected: yes"
        crlf.heloName = "bad\nhelo"
        crlf.spf.reason = "line\r\nbreak"
        list.append(crlf)
        var unicode = plain
        unicode.mailFrom = "josé@exämple.com"
        unicode.heloName = "[192.0.2.1]"
        unicode.dmarc.reason = "ünïcode (reason)"
        list.append(unicode)
        var nullPath = plain
        nullPath.mailFrom = ""
        nullPath.helo = nil
        nullPath.dkim = []
        nullPath.dmarc = DMARCOutcome(result: .none, fromDomain: nil, policy: nil, requestedPolicy: nil, reason: "")
        list.append(nullPath)
        var failing = plain
        failing.dkim = [
            DKIMVerification(result: .fail, domain: "example.com", selector: "sel-ector_1", algorithm: "rsa-sha256",
                             identity: "@example.com", signaturePrefix: "AbCd1234", reason: "body hash \"did not\" verify\n"),
            DKIMVerification(result: .permerror, domain: "", selector: "", algorithm: "", reason: "unreadable"),
        ]
        failing.dmarc = DMARCOutcome(result: .fail, fromDomain: "example.com", policy: .quarantine, requestedPolicy: .reject,
                                     reason: "SPF fail, no DKIM pass with example.com")
        list.append(failing)
        return list
    }()

    @Test func rendersTheDocumentedShape() {
        #expect(Self.plain.field == """
            Authentication-Results: mx.tsubame.test;
            \tspf=pass (matched ip4:192.0.2.0/24) smtp.mailfrom=user@example.com;
            \tspf=none (no SPF record at mail.example.com) smtp.helo=mail.example.com;
            \tdkim=pass header.d=example.com header.s=s1 header.b="abcd/+=x";
            \tdmarc=pass (p=reject dis=none SPF pass aligned with example.com) header.from=example.com

            """)
    }

    /// Not in the authres table: authres 1.2.0 drops a quoted header.s or header.i value (and
    /// may drop the properties after it), though RFC 8601 §2.2 allows any value there.
    @Test func quotesAHostileSelector() {
        var rendering = Self.plain
        rendering.dkim = [DKIMVerification(result: .pass, domain: "example.com", selector: "s;1 (x)\r\n", algorithm: "ed25519-sha256",
                                           identity: "a b@example.com")]
        let field = rendering.field
        #expect(field.contains(" header.s=\"s;1 (x)\" header.i=\"a b@example.com\";\n"))
    }

    @Test func writesDkimNoneAndThePostmasterMailboxForANullPath() {
        let field = Self.hostile[4].field
        #expect(field.contains("smtp.mailfrom=postmaster@mail.example.com;"))
        #expect(field.contains("\tdkim=none;\n"))
        #expect(field.hasSuffix("\tdmarc=none\n"))
    }

    @Test func neverLetsAValueBreakTheField() {
        for rendering in [Self.plain] + Self.hostile {
            let field = rendering.field
            #expect(field.hasSuffix("\n"))
            #expect(!field.contains("\r"))
            // Every line after the first is a folded continuation.
            #expect(field.dropLast().split(separator: "\n").dropFirst().allSatisfy { $0.hasPrefix("\t") }, "\(field)")
            #expect(field.unicodeScalars.allSatisfy { $0.isASCII })
        }
    }

    struct ParsedField: Decodable {
        struct Result: Decodable {
            var method: String
            var result: String
            var reason: String?
            var properties: [[String]]
        }
        var id: String?
        var results: [Result]?
        var error: String?
    }

    /// What authres must read back: method, result, reason, properties (values as we cleaned them).
    func expectedResults(_ rendering: Rendering) -> [ParsedField.Result] {
        func clean(_ text: String) -> String {
            String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }
                .map { $0.isASCII ? $0 : "?" }))
        }
        var results: [ParsedField.Result] = []
        let mailFrom = rendering.mailFrom.isEmpty ? "postmaster@" + rendering.heloName : rendering.mailFrom
        results.append(.init(method: "spf", result: rendering.spf.result.rawValue, reason: nil,
                             properties: [["smtp", "mailfrom", clean(mailFrom)]]))
        if let helo = rendering.helo {
            results.append(.init(method: "spf", result: helo.result.rawValue, reason: nil,
                                 properties: [["smtp", "helo", clean(rendering.heloName)]]))
        }
        if rendering.dkim.isEmpty { results.append(.init(method: "dkim", result: "none", reason: nil, properties: [])) }
        for signature in rendering.dkim {
            var properties: [[String]] = []
            if !signature.domain.isEmpty { properties.append(["header", "d", signature.domain]) }
            if !signature.selector.isEmpty { properties.append(["header", "s", clean(signature.selector)]) }
            if let identity = signature.identity { properties.append(["header", "i", identity]) }
            if !signature.signaturePrefix.isEmpty { properties.append(["header", "b", signature.signaturePrefix]) }
            results.append(.init(method: "dkim", result: signature.result.rawValue, reason: signature.reason.map(clean),
                                 properties: properties))
        }
        results.append(.init(method: "dmarc", result: rendering.dmarc.result.rawValue, reason: nil,
                             properties: rendering.dmarc.fromDomain.map { [["header", "from", $0]] } ?? []))
        return results
    }

    @Test func authresParsesEveryFieldBackToTheSameResults() throws {
        let renderings = [Self.plain] + Self.hostile
        let input = try JSONSerialization.data(withJSONObject: renderings.map(\.field))
        let parsed = try JSONDecoder().decode([ParsedField].self, from: try runPythonScript("authres_parse.py", input: input))
        try #require(parsed.count == renderings.count)
        // authres keeps a quoted-string's quoted-pairs as written ("a \\"b\\"" stays escaped);
        // undo them before comparing.
        func unescaped(_ text: String) -> String {
            var result = "", escaping = false
            for character in text {
                if !escaping, character == "\\" { escaping = true; continue }
                escaping = false
                result.append(character)
            }
            return result
        }
        for (rendering, answer) in zip(renderings, parsed) {
            #expect(answer.error == nil, "\(rendering.field)")
            #expect(answer.id == "mx.tsubame.test")
            let got = answer.results ?? []
            let expected = expectedResults(rendering)
            #expect(got.count == expected.count, "\(rendering.field)")
            for (mine, theirs) in zip(expected, got) {
                #expect(theirs.method == mine.method)
                #expect(theirs.result == mine.result)
                #expect(theirs.reason.map(unescaped) == mine.reason, "\(rendering.field)")
                #expect(theirs.properties.map { $0.map(unescaped) } == mine.properties, "\(rendering.field)")
            }
        }
    }

    @Test(arguments: [
        ("mx.tsubame.test; spf=pass smtp.mailfrom=a@b.c", true),
        ("MX.Tsubame.Test;spf=pass", true),
        ("  (a comment) mx.tsubame.test (another) ; dkim=none", true),
        ("\r\n\tmx.tsubame.test 1; none", true),
        ("mx.tsubame.test", true),
        ("\"mx.tsubame.test\"; none", true),
        ("other.example; spf=pass", false),
        ("mx.tsubame.test.evil; spf=pass", false),
        ("mx.tsubame.testx; spf=pass", false),
        ("mx.tsubame.test x; spf=pass", false),
        ("", false),
        ("(unclosed mx.tsubame.test; none", false),
    ])
    func recognisesOurOwnAuthservID(value: String, claimed: Bool) {
        #expect(AuthenticationResultsField.claims(authservID: "mx.tsubame.test", fieldValue: value) == claimed)
    }
}
