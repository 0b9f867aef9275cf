import DNSClient
import SMTPProtocol

/// The pure part of MX routing: fed the MX hosts one preference group at a time, with their
/// addresses, it keeps the usable ones, stops at our own host or at the host limit, and says
/// what to do when nothing usable is left. The DNS side is `RouteSelector`.
struct MXHostSelection {
    private(set) var hosts: [DeliveryHost] = []
    let maximumHosts: Int
    /// Some host before the stop had no address at all / could not be looked up now.
    private var sawHostWithoutAddress = false
    private var temporaryFailure: DNSFailure?
    private var foundSelf = false

    init(maximumHosts: Int) {
        self.maximumHosts = max(1, maximumHosts)
    }

    /// Whether to feed the next group: false once we met ourselves or have enough hosts.
    var wantsMore: Bool { !foundSelf && hosts.count < maximumHosts }

    /// One group of equal preference, already shuffled, with each host's lookup outcome.
    mutating func add(group: [(host: DeliveryHost, addresses: HostAddresses)], isLocal: (DeliveryHost) -> Bool) {
        let resolved = group.map { entry -> DeliveryHost in
            var host = entry.host
            if case .found(let addresses) = entry.addresses { host.addresses = addresses }
            return host
        }
        // RFC 5321 §5.1: "it MUST discard it and every MX with an equal or higher preference
        // value": so the whole group goes, and nothing after it is looked at.
        if resolved.contains(where: isLocal) {
            foundSelf = true
            return
        }
        for (host, entry) in zip(resolved, group) {
            switch entry.addresses {
            case .found:
                if hosts.count < maximumHosts { hosts.append(host) }
            case .noAddress:
                sawHostWithoutAddress = true
            case .temporaryFailure(let failure):
                temporaryFailure = temporaryFailure ?? failure
            }
        }
    }

    /// The hosts, or the failure that explains why there are none.
    func outcome(domain: String, family: IPFamily) -> Result<[DeliveryHost], SMTPClientFailure> {
        if !hosts.isEmpty { return .success(hosts) }
        // A host we could not look up might have worked: try again later (RFC 5321 §4.5.4.1).
        if let temporaryFailure {
            return .failure(SMTPClientFailure(
                status: .deferred, reason: "no MX host of \(domain) could be looked up: \(temporaryFailure)",
                enhancedCode: "4.4.3"))
        }
        if foundSelf {
            // Postfix: when a better MX than us has no address, we are a backup MX whose
            // primary is broken, not the destination: "unable to find primary relay", deferred.
            if sawHostWithoutAddress {
                return .failure(SMTPClientFailure(
                    status: .deferred, reason: "unable to find primary relay for \(domain)", enhancedCode: "4.4.4"))
            }
            return .failure(SMTPClientFailure(
                status: .failed, reason: "mail for \(domain) loops back to myself", enhancedCode: "5.4.6"))
        }
        // MX hosts that all lack addresses are usually a DNS change in progress; Postfix defers
        // this too ("Host not found" for every MX host is a soft error there).
        return .failure(SMTPClientFailure(
            status: .deferred, reason: "no usable address for any MX host of \(domain)\(family.restriction)",
            enhancedCode: "4.4.4"))
    }
}

extension IPFamily {
    /// " (ip_family = ipv4)" when a family is excluded, for failure reasons; "" for `any`.
    var restriction: String { self == .any ? "" : " (ip_family = \(rawValue))" }
}
