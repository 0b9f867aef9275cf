import DNSClient

/// Why an evaluation stopped early: the two error results of RFC 7208 §2.6.6 and §2.6.7.
enum SPFStop: Error {
    case permanent(String)
    case temporary(String)
}

/// The result of one record's evaluation.
struct SPFVerdict {
    var result: SPFResult
    var reason: String
    var explanation: String?
}

/// One check_host() call with its counters, which span every include and redirect
/// (RFC 7208 §4.6.4: the limits are per evaluation, not per record).
struct SPFCheck {
    static let maximumLookupTerms = 10
    static let maximumVoidLookups = 2
    static let maximumNames = 10

    let dns: any MailAuthDNS
    let client: SPFAddress
    let sender: String
    let helo: String
    let receiver: String
    let now: Int
    private(set) var lookupTerms = 0
    private(set) var voidLookups = 0

    init(dns: any MailAuthDNS, client: SPFAddress, sender: String, helo: String, receiver: String, now: Int) {
        self.dns = dns
        self.client = client
        self.sender = sender
        self.helo = helo
        self.receiver = receiver
        self.now = now
    }

    /// §4.3: labels of 1-63 octets, at most 253 in all, at least two labels.
    static func isQueryableDomain(_ name: String) -> Bool {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && name.utf8.count <= 253 && labels.allSatisfy { (1...63).contains($0.utf8.count) }
            && name.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
    }

    /// Evaluates the record of `domain` (§4.4-§4.7). Depth is only for the explanation rules:
    /// `wantsExplanation` is false inside include (§6.2: the target's exp= is not used).
    mutating func evaluate(domain: String, depth: Int, wantsExplanation: Bool) async throws(SPFStop) -> SPFVerdict {
        guard let record = try await fetchRecord(domain) else {
            return SPFVerdict(result: .none, reason: "no SPF record at \(domain)")
        }
        let values = SPFMacroValues(sender: sender, domain: domain, client: client, helo: helo, receiver: receiver, timestamp: now)
        for directive in record.directives {
            if directive.mechanism.queriesDNS { try countLookupTerm() }
            guard let note = try await matches(directive.mechanism, values: values, depth: depth) else { continue }
            let reason = note.isEmpty ? "matched \(directive.text)" : "matched \(directive.text) (\(note))"
            var verdict = SPFVerdict(result: directive.qualifier, reason: depth == 0 ? reason : "\(domain): \(reason)")
            if directive.qualifier == .fail, wantsExplanation, let exp = record.explanation {
                verdict.explanation = await explanation(exp, values: values)
            }
            return verdict
        }
        if let redirect = record.redirect {
            // §6.1: counts as a lookup term; a target without a record is a permerror.
            try countLookupTerm()
            let target = try await expandDomain(redirect, values: values)
            guard Self.isQueryableDomain(target) else { throw .permanent("redirect=\(target) is not a domain name") }
            let verdict = try await evaluate(domain: target, depth: depth + 1, wantsExplanation: wantsExplanation)
            guard verdict.result != .none else { throw .permanent("redirect=\(target) has no SPF record") }
            return verdict
        }
        // §4.7: nothing matched and no redirect.
        return SPFVerdict(result: .neutral, reason: depth == 0 ? "no mechanism matched" : "\(domain): no mechanism matched")
    }

    /// §4.5: the one TXT record starting with "v=spf1"; nil when there is none.
    private func fetchRecord(_ domain: String) async throws(SPFStop) -> SPFRecord? {
        let texts: [String]
        switch await dns.txt(domain) {
        case .records(let records, _, _):
            // §3.3: the strings of one record are joined without a separator.
            texts = records.map { String(decoding: $0.strings.joined(), as: UTF8.self) }.filter(SPFRecord.isSPFRecord)
        case .nxdomain, .noData:
            return nil
        case .temporaryFailure(let failure):
            throw .temporary("DNS failure looking up TXT \(domain): \(failure)")
        }
        guard texts.count <= 1 else { throw .permanent("\(domain) has \(texts.count) SPF records") }
        guard let text = texts.first else { return nil }
        do {
            return try SPFRecord(parsing: text)
        } catch {
            throw .permanent("syntax error in the SPF record of \(domain): \(error.description)")
        }
    }

    private mutating func countLookupTerm() throws(SPFStop) {
        lookupTerms += 1
        if lookupTerms > Self.maximumLookupTerms { throw .permanent("more than \(Self.maximumLookupTerms) DNS lookups") }
    }

    /// §4.6.4: a query answered with NXDOMAIN or no records. Counted per query (an MX host or
    /// PTR name without addresses counts too), as pyspf does; the RFC speaks of
    /// "terms" but leaves the finer count open. The TXT lookup of an include or redirect
    /// target is not counted: a void one is a permerror on its own (§5.2, §6.1).
    private mutating func countVoidLookup() throws(SPFStop) {
        voidLookups += 1
        if voidLookups > Self.maximumVoidLookups { throw .permanent("more than \(Self.maximumVoidLookups) void DNS lookups") }
    }

    /// nil: no match; otherwise a match with a note for the reason (may be empty).
    private mutating func matches(_ mechanism: SPFMechanism, values: SPFMacroValues, depth: Int) async throws(SPFStop) -> String? {
        switch mechanism {
        case .all:
            return ""
        case .ip4(let network, let prefix), .ip6(let network, let prefix):
            return client.matches(network, prefix: prefix) ? "" : nil
        case .include(let spec):
            let target = try await expandDomain(spec, values: values)
            guard Self.isQueryableDomain(target) else { throw .permanent("include:\(target) is not a domain name") }
            let verdict = try await evaluate(domain: target, depth: depth + 1, wantsExplanation: false)
            // §5.2: only a pass matches; none is a permerror; the errors propagate (thrown).
            switch verdict.result {
            case .pass: return ""
            case .fail, .softfail, .neutral: return nil
            case .none: throw .permanent("include:\(target) has no SPF record")
            case .temperror: throw .temporary(verdict.reason)
            case .permerror: throw .permanent(verdict.reason)
            }
        case .a(let spec, let cidr):
            let target = try await resolveTarget(spec, values: values)
            let addresses = try await lookupAddresses(of: target)
            return addresses.contains { client.matches($0, prefix: client.isIPv4 ? cidr.v4 : cidr.v6) } ? "" : nil
        case .mx(let spec, let cidr):
            let target = try await resolveTarget(spec, values: values)
            let exchanges: [MXRecord]
            switch await dns.mx(target) {
            case .records(let records, _, _): exchanges = records
            case .nxdomain, .noData: try countVoidLookup(); return nil
            case .temporaryFailure(let failure): throw .temporary("DNS failure looking up MX \(target): \(failure)")
            }
            // §4.6.4: more than 10 MX names is a permerror.
            guard exchanges.count <= Self.maximumNames else { throw .permanent("\(target) has more than \(Self.maximumNames) MX records") }
            for exchange in exchanges.sorted(by: { $0.preference < $1.preference }) where !exchange.isNullMX {
                let addresses = try await lookupAddresses(of: exchange.exchange.description)
                if addresses.contains(where: { client.matches($0, prefix: client.isIPv4 ? cidr.v4 : cidr.v6) }) {
                    return "via \(exchange.exchange)"
                }
            }
            return nil
        case .ptr(let spec):
            let target = try await resolveTarget(spec, values: values)
            let names = try await validatedNames()
            return names.contains { $0 == target || $0.hasSuffix("." + target) } ? "" : nil
        case .exists(let spec):
            let target = try await expandDomain(spec, values: values)
            // §5.7: always an A lookup, whatever the client's family.
            switch await dns.a(target) {
            case .records: return ""
            case .nxdomain, .noData: try countVoidLookup(); return nil
            case .temporaryFailure(let failure): throw .temporary("DNS failure looking up A \(target): \(failure)")
            }
        }
    }

    private mutating func resolveTarget(_ spec: SPFMacroString?, values: SPFMacroValues) async throws(SPFStop) -> String {
        guard let spec else { return values.domain }
        return try await expandDomain(spec, values: values)
    }

    /// Expands a domain-spec, resolving %{p} first when it is used.
    private mutating func expandDomain(_ spec: SPFMacroString, values: SPFMacroValues) async throws(SPFStop) -> String {
        var values = values
        if spec.uses("p") { values.validatedName = try await validatedName(for: values.domain) }
        return spec.expandDomain(values).lowercased()
    }

    /// §5.6: A records for an IPv4 client, AAAA for an IPv6 one.
    private mutating func lookupAddresses(of name: String) async throws(SPFStop) -> [SPFAddress] {
        if client.isIPv4 {
            switch await dns.a(name) {
            case .records(let records, _, _): return records.map { .v4($0.octets) }
            case .nxdomain, .noData: try countVoidLookup(); return []
            case .temporaryFailure(let failure): throw .temporary("DNS failure looking up A \(name): \(failure)")
            }
        }
        switch await dns.aaaa(name) {
        case .records(let records, _, _): return records.map { .v6($0.octets) }
        case .nxdomain, .noData: try countVoidLookup(); return []
        case .temporaryFailure(let failure): throw .temporary("DNS failure looking up AAAA \(name): \(failure)")
        }
    }

    /// §5.5: the client's PTR names (the first 10) whose forward lookup includes the client.
    /// A failed PTR lookup makes no match, and a name whose address lookup fails is skipped
    /// ("If a DNS error occurs while doing an A RR lookup, then that domain name is skipped").
    private mutating func validatedNames() async throws(SPFStop) -> [String] {
        let names: [DNSName]
        switch await dns.ptr(client.text) {
        case .records(let records, _, _): names = Array(records.prefix(Self.maximumNames))
        case .nxdomain, .noData: try countVoidLookup(); return []
        case .temporaryFailure: return []
        }
        var validated: [String] = []
        for name in names {
            let text = name.description.lowercased()
            let addresses: [SPFAddress]
            do throws(SPFStop) {
                addresses = try await lookupAddresses(of: text)
            } catch {
                if case .permanent = error { throw error }
                continue
            }
            if addresses.contains(where: { $0 == client }) { validated.append(text) }
        }
        return validated
    }

    /// %{p} (§7.3): a validated name equal to or under the domain, else any validated name,
    /// else "unknown".
    private mutating func validatedName(for domain: String) async throws(SPFStop) -> String {
        let names = try await validatedNames()
        return names.first { $0 == domain || $0.hasSuffix("." + domain) } ?? names.first ?? "unknown"
    }

    /// §6.2: the exp= text; any DNS or syntax problem means no explanation.
    private mutating func explanation(_ spec: SPFMacroString, values: SPFMacroValues) async -> String? {
        guard let target = try? await expandDomain(spec, values: values), Self.isQueryableDomain(target) else { return nil }
        guard case .records(let records, _, _) = await dns.txt(target), records.count == 1 else { return nil }
        let text = String(decoding: records[0].strings.joined(), as: UTF8.self)
        guard text.unicodeScalars.allSatisfy({ $0.isASCII }),
              let macro = try? SPFMacroString(parsing: text, context: .explanation) else { return nil }
        var values = values
        if macro.uses("p") { values.validatedName = (try? await validatedName(for: values.domain)) ?? "unknown" }
        return macro.expand(values)
    }
}
