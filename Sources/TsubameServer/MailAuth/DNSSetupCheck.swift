import DNSClient
import Foundation
import MailAuthentication
import TsubameConfig

/// `tsubame dns check DOMAIN`: looks up what `DNSRecordPlan` asks to publish and says, one line
/// per check, whether it is there. Only `.missing`, `.wrong` and `.failed` make the command
/// fail; `.warning` is advice (an SPF record that lets anyone send is valid, just useless).
public enum DNSSetupCheck {
    public enum Status: String, Sendable {
        case ok = "ok"
        case warning = "WARN"
        case missing = "MISSING"
        case wrong = "WRONG"
        /// The lookup itself failed (SERVFAIL, timeout): nothing is known.
        case failed = "FAIL"

        public var isProblem: Bool { self != .ok && self != .warning }
    }

    public struct Finding: Sendable, Equatable {
        public var status: Status
        public var subject: String
        public var detail: String

        public init(_ status: Status, _ subject: String, _ detail: String) {
            self.status = status
            self.subject = subject
            self.detail = detail
        }

        /// `ok   MX: 10 mx.example.com.`, `WRONG PTR 192.0.2.1: found x., expected y.`
        public var line: String {
            let label = status.rawValue.count < 4
                ? status.rawValue + String(repeating: " ", count: 4 - status.rawValue.count) : status.rawValue
            return "\(label) \(subject): \(detail)"
        }
    }

    /// The resolver the server would use: `[dns] nameservers`, else /etc/resolv.conf.
    public static func resolver(_ configuration: TsubameConfiguration) throws -> DNSResolver {
        try OutboundSetup.resolver(configuration.dns)
    }

    /// Every check for `domain` served by `hostname`; `keys` are the domain's DKIM keys (the
    /// active ones are looked up).
    public static func run(domain: String, hostname: String, keys: [DKIMKeyStore.Key],
                           dns: some MailAuthDNS) async -> [Finding] {
        let host = ZoneText.absolute(hostname.lowercased())
        var findings: [Finding] = []
        findings.append(await checkMX(domain: domain, host: host, dns: dns))
        let (addressFindings, addresses) = await checkAddresses(host: host, dns: dns)
        findings += addressFindings
        for address in addresses { findings.append(await checkPTR(address, host: host, dns: dns)) }
        findings.append(await checkSPF(domain: domain, dns: dns))
        let active = keys.filter(\.active)
        if active.isEmpty {
            findings.append(Finding(.missing, "DKIM", "no active key for \(domain); make one with `tsubame dkim keygen \(domain)`"))
        }
        for key in active { findings.append(await checkDKIM(key, dns: dns)) }
        findings.append(await checkDMARC(domain: domain, dns: dns))
        return findings
    }

    static func checkMX(domain: String, host: String, dns: some MailAuthDNS) async -> Finding {
        let expected = "10 \(host)"
        switch await dns.mx(domain) {
        case .records(let records, _, _):
            let sorted = records.sorted { $0.preference < $1.preference }
            if let ours = sorted.first(where: { absolute($0.exchange) == host }) {
                return Finding(.ok, "MX", "\(ours.preference) \(absolute(ours.exchange))")
            }
            let found = sorted.map { "\($0.preference) \(absolute($0.exchange))" }.joined(separator: ", ")
            return Finding(.wrong, "MX", "found \(found), expected \(expected)")
        case .nxdomain, .noData:
            return Finding(.missing, "MX", "\(ZoneText.absolute(domain)) has none; expected \(expected)")
        case .temporaryFailure(let failure):
            return Finding(.failed, "MX", "lookup failed: \(failure)")
        }
    }

    /// The host's A and AAAA records, and the addresses found (for the PTR checks).
    static func checkAddresses(host: String, dns: some MailAuthDNS) async -> ([Finding], [String]) {
        var findings: [Finding] = []
        var addresses: [String] = []
        var failures: [String] = []
        switch await dns.a(host) {
        case .records(let records, _, _):
            let texts = records.map(\.description)
            addresses += texts
            findings.append(Finding(.ok, "A", "\(host) \(texts.joined(separator: ", "))"))
        case .temporaryFailure(let failure): failures.append("A: \(failure)")
        case .nxdomain, .noData: break
        }
        switch await dns.aaaa(host) {
        case .records(let records, _, _):
            let texts = records.map(\.description)
            addresses += texts
            findings.append(Finding(.ok, "AAAA", "\(host) \(texts.joined(separator: ", "))"))
        case .temporaryFailure(let failure): failures.append("AAAA: \(failure)")
        case .nxdomain, .noData: break
        }
        if !failures.isEmpty {
            findings.append(Finding(.failed, "A/AAAA", "\(host) lookup failed (\(failures.joined(separator: "; ")))"))
        } else if addresses.isEmpty {
            findings.append(Finding(.missing, "A/AAAA", "\(host) has no address; expected \(host) A (and AAAA) with this server's addresses"))
        }
        return (findings, addresses)
    }

    /// Forward-confirmed reverse DNS (FCrDNS): the address came from the host's A/AAAA, so a
    /// PTR naming the host closes the loop; receivers check exactly this.
    static func checkPTR(_ address: String, host: String, dns: some MailAuthDNS) async -> Finding {
        let subject = "PTR \(address)"
        switch await dns.ptr(address) {
        case .records(let names, _, _):
            let found = names.map(absolute)
            if found.contains(host) { return Finding(.ok, subject, "\(host) (forward-confirmed)") }
            return Finding(.wrong, subject, "found \(found.joined(separator: ", ")), expected \(host) (ask your provider to set it)")
        case .nxdomain, .noData:
            return Finding(.missing, subject, "\(DNSRecordPlan.reverseName(address) ?? address) has none; expected \(host) (ask your provider to set it)")
        case .temporaryFailure(let failure):
            return Finding(.failed, subject, "lookup failed: \(failure)")
        }
    }

    /// RFC 7208 §4.5: exactly one record starting "v=spf1"; two are a permerror.
    static func checkSPF(domain: String, dns: some MailAuthDNS) async -> Finding {
        let records: [String]
        switch await dns.txt(domain) {
        case .records(let found, _, _): records = found.map(text).filter(isSPF)
        case .nxdomain, .noData: records = []
        case .temporaryFailure(let failure): return Finding(.failed, "SPF", "lookup failed: \(failure)")
        }
        guard let record = records.first else {
            return Finding(.missing, "SPF", "\(ZoneText.absolute(domain)) has no v=spf1 record; expected \"\(DNSRecordPlan.spfRecord)\"")
        }
        guard records.count == 1 else {
            return Finding(.wrong, "SPF", "found \(records.count) v=spf1 records, expected one (two are an error, RFC 7208 §4.5)")
        }
        let last = record.split(separator: " ").last.map { $0.lowercased() } ?? ""
        switch last {
        case "-all", "~all": return Finding(.ok, "SPF", record)
        case "+all", "all", "?all":
            return Finding(.warning, "SPF", "\(record) lets any server send as \(domain); end it in -all or ~all")
        default:
            return Finding(.warning, "SPF", "\(record) does not end in -all or ~all")
        }
    }

    /// The published p= must be this key's (whitespace inside the value ignored, RFC 6376
    /// §3.6.1): an old or mistyped record fails every signature.
    static func checkDKIM(_ key: DKIMKeyStore.Key, dns: some MailAuthDNS) async -> Finding {
        let name = ZoneText.absolute(key.recordName)
        let subject = "DKIM \(name)"
        let expected = tag("p", in: key.publicKeyRecord) ?? ""
        let records: [String]
        switch await dns.txt(key.recordName) {
        case .records(let found, _, _): records = found.map(text)
        case .nxdomain, .noData: records = []
        case .temporaryFailure(let failure): return Finding(.failed, subject, "lookup failed: \(failure)")
        }
        let published = records.compactMap { tag("p", in: $0) }
        guard !published.isEmpty else {
            return Finding(.missing, subject, "no key record; publish the line `tsubame dkim show \(key.domain)` prints")
        }
        if published.contains(expected) { return Finding(.ok, subject, "p= matches the active \(key.selector) key") }
        return Finding(.wrong, subject, "found p=\(abbreviated(published[0])), expected p=\(abbreviated(expected))")
    }

    static func checkDMARC(domain: String, dns: some MailAuthDNS) async -> Finding {
        let name = "_dmarc.\(domain)"
        let records: [String]
        switch await dns.txt(name) {
        case .records(let found, _, _):
            records = found.map(text).filter { $0.lowercased().hasPrefix("v=dmarc1") }
        case .nxdomain, .noData: records = []
        case .temporaryFailure(let failure): return Finding(.failed, "DMARC", "lookup failed: \(failure)")
        }
        guard let record = records.first else {
            return Finding(.missing, "DMARC", "\(ZoneText.absolute(name)) has no v=DMARC1 record; expected \"\(DNSRecordPlan.dmarcRecord(domain: domain))\"")
        }
        guard records.count == 1 else {
            return Finding(.wrong, "DMARC", "found \(records.count) v=DMARC1 records, expected one (RFC 7489 §6.6.3)")
        }
        guard tag("p", in: record) != nil else { return Finding(.wrong, "DMARC", "found \"\(record)\", expected a p= tag") }
        return Finding(.ok, "DMARC", record)
    }

    // MARK: text

    static func absolute(_ name: DNSName) -> String { ZoneText.absolute(name.description.lowercased()) }

    /// A TXT record's strings joined (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
    static func text(_ record: TXTRecord) -> String {
        String(decoding: record.strings.joined(), as: UTF8.self)
    }

    static func isSPF(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower == "v=spf1" || lower.hasPrefix("v=spf1 ")
    }

    /// The value of `name` in a tag list (RFC 6376 §3.2), folding whitespace removed.
    static func tag(_ name: String, in record: String) -> String? {
        for part in record.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespacesAndNewlines) == name else { continue }
            return String(pair[1].filter { !$0.isWhitespace })
        }
        return nil
    }

    static func abbreviated(_ value: String) -> String {
        value.isEmpty ? "(empty: revoked)" : value.count <= 24 ? value : String(value.prefix(12)) + "…" + String(value.suffix(8))
    }
}
