import FuzzSupport
import MailAuthentication

/// What a domain's owner (SPF and DMARC records, exp= text) and a client (MAIL FROM, HELO,
/// forged Authentication-Results fields) control, read by the mail-authentication cores.
/// The first byte picks the reader; the rest is the text.
/// - an SPF record parses or throws `SPFSyntaxError`, never traps; what parses expands every
///   domain-spec with fixed values, and a domain expansion with dots fits 253 octets (§7.3);
/// - a macro-string in each context parses or throws; one without "%" expands to itself;
/// - an address that parses, printed in full, parses to the same address;
/// - a DMARC record parses or is refused, pct= stays in 0...100;
/// - `claims` never traps, and finds a token id at the start of a field value;
/// - a rendered Authentication-Results field is ASCII, has no CR, continues every line with a
///   tab, ends in LF, and claims its own authserv-id whatever the values were.
func fuzzSPFRecord(_ input: FuzzInput) {
    var input = input
    let mode = input.byte() % 6
    let text = String(decoding: input.rest(), as: UTF8.self)
    let values = SPFMacroValues(sender: "strong-bad@email.example.com", domain: "email.example.com",
                                client: SPFAddress("2001:db8::cb01")!, helo: "mx.example.org", receiver: "mx.tsubame.test",
                                timestamp: 1_700_000_000, validatedName: "mail.example.com")
    switch mode {
    case 0:
        let record: SPFRecord
        do { record = try SPFRecord(parsing: "v=spf1 " + text) } catch { return }
        var specs = [record.redirect, record.explanation].compactMap { $0 }
        for directive in record.directives {
            switch directive.mechanism {
            case .include(let spec), .exists(let spec): specs.append(spec)
            case .a(let spec?, _), .mx(let spec?, _), .ptr(let spec?): specs.append(spec)
            case .a(nil, let cidr), .mx(nil, let cidr): precondition((0...32).contains(cidr.v4) && (0...128).contains(cidr.v6))
            case .ip4(let address, let prefix): precondition(address.octets.count == 4 && (0...32).contains(prefix))
            case .ip6(let address, let prefix): precondition(address.octets.count == 16 && (0...128).contains(prefix))
            case .all, .ptr(nil): break
            }
        }
        for spec in specs {
            let name = spec.expandDomain(values)
            precondition(name.utf8.count <= 253 || !name.contains("."))
        }
    case 1:
        for context in [SPFMacroString.Context.domainSpec, .modifier, .explanation] {
            guard let macro = try? SPFMacroString(parsing: text, context: context) else { continue }
            let expanded = macro.expand(values)
            if !text.contains("%") { precondition(expanded == text) }
        }
    case 2:
        guard let address = SPFAddress(text) else { return }
        let printed = address.octets.count == 4 ? address.octets.map(String.init).joined(separator: ".")
            : printIPv6(address.octets)
        precondition(SPFAddress(printed) == address)
    case 3:
        guard let record = DMARCRecord(parsing: text) else { return }
        precondition((0...100).contains(record.percent))
        _ = record.hasValidReportURI
    case 4:
        _ = AuthenticationResultsField.claims(authservID: "mx.tsubame.test", fieldValue: text)
        let token = String(text.unicodeScalars.prefix { $0.value > 0x20 && $0.value < 0x7F && !"()<>@,;:\\\"/[]?=".unicodeScalars.contains($0) })
        if !token.isEmpty, !token.first!.isNumber {
            precondition(AuthenticationResultsField.claims(authservID: token, fieldValue: " \(token) ; spf=pass"))
        }
    default:
        let parts = text.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
        func part(_ index: Int) -> String { index < parts.count ? parts[index] : "" }
        let spf = SPFOutcome(result: .fail, domain: part(0), reason: part(1), explanation: part(2))
        let dkim = [DKIMVerification(result: .fail, domain: part(3), selector: part(4), algorithm: "rsa-sha256",
                                     identity: part(5), signaturePrefix: part(6), reason: part(7))]
        let dmarc = DMARCOutcome(result: .fail, fromDomain: part(8), policy: .reject, requestedPolicy: .reject, reason: part(9))
        let field = AuthenticationResultsField.render(authservID: "mx.tsubame.test", spf: spf, mailFrom: part(10), helo: spf,
                                                      heloName: part(11), dkim: dkim, dmarc: dmarc)
        precondition(field.unicodeScalars.allSatisfy { $0.isASCII && $0 != "\r" })
        precondition(field.hasSuffix("\n"))
        precondition(field.dropLast().split(separator: "\n", omittingEmptySubsequences: false).dropFirst().allSatisfy { $0.hasPrefix("\t") })
        let prefix = "Authentication-Results:"
        precondition(field.hasPrefix(prefix))
        precondition(AuthenticationResultsField.claims(authservID: "mx.tsubame.test", fieldValue: String(field.dropFirst(prefix.count))))
    }
}

/// RFC 5952 text written independently of the code under test: full groups, no "::".
func printIPv6(_ octets: [UInt8]) -> String {
    (0..<8).map { String(Int(octets[2 * $0]) << 8 | Int(octets[2 * $0 + 1]), radix: 16) }.joined(separator: ":")
}
