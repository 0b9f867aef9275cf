import Dispatch
import Foundation
@_spi(FixedExpiryValidationTime) import X509

/// Path validation with swift-certificates' `Verifier` and RFC 5280 rules, and the RFC 6125
/// host name check, for the commands that judge a chain (`cert show`, `cert install`, `ca sign`).
public enum ChainVerification {
    /// Validates `chain` (leaf first) up to one of `roots` at `now`. Returns nil when it verifies,
    /// else the reason. A last certificate in `chain` that is self-signed is accepted as the
    /// trust anchor only when `trustSelfSignedRoot` is set (installing what a public CA sent).
    static func failure(
        chain: [Certificate], roots: [Certificate], now: Date, trustSelfSignedRoot: Bool = false
    ) async -> String? {
        guard let leaf = chain.first else { return "the chain is empty" }
        var anchors = roots
        if trustSelfSignedRoot, chain.count > 1, let last = chain.last, isSelfIssued(last) { anchors.append(last) }
        if anchors.isEmpty {
            return isSelfIssued(leaf)
                ? "it is self-signed and not one of the trusted CAs"
                : "no trusted root to check it against (the issuer \"\(CertificateSummary.commonName(leaf.issuer))\" is not in the file, and there is no CA certificate)"
        }
        var verifier = Verifier(rootCertificates: CertificateStore(anchors)) {
            RFC5280Policy(fixedExpiryValidationTime: now)
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(chain.dropFirst()))
        switch result {
        case .validCertificate:
            return nil
        case .couldNotValidate(let failures):
            guard let first = failures.first else {
                return "no path from the certificate to a trusted root: its issuer \"\(CertificateSummary.commonName(leaf.issuer))\" is neither in the file nor the trusted CA"
            }
            return "\(first.policyFailureReason)"
        }
    }

    /// The synchronous form, for the command line.
    public static func failureWaiting(
        chain: [Certificate], roots: [Certificate], now: Date = Date(), trustSelfSignedRoot: Bool = false
    ) -> String? {
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            box.set(await failure(chain: chain, roots: roots, now: now, trustSelfSignedRoot: trustSelfSignedRoot))
            done.signal()
        }
        done.wait()
        return box.get()
    }

    /// Subject equals issuer and the certificate's own key signs it.
    static func isSelfIssued(_ certificate: Certificate) -> Bool {
        certificate.subject == certificate.issuer
            && certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// RFC 6125 §6.4: `host` against the SubjectAlternativeNames (DNS names, a wildcard only
    /// as the whole leftmost label; IP literals against iPAddress entries). The subject CN is
    /// not consulted when SANs exist, and Tsubame's certificates always have them.
    public static func matches(_ certificate: Certificate, host: String) -> Bool {
        let names = ((try? certificate.extensions.subjectAlternativeNames) ?? nil) ?? SubjectAlternativeNames()
        if let address = ServerIdentity.ipAddressBytes(host) {
            return names.contains { name in
                if case .ipAddress(let octets) = name { return Array(octets.bytes) == address }
                return false
            }
        }
        var wanted = host.lowercased()
        if wanted.hasSuffix(".") { wanted.removeLast() }
        let wantedLabels = wanted.split(separator: ".", omittingEmptySubsequences: false)
        return names.contains { name in
            guard case .dnsName(let dns) = name else { return false }
            let pattern = dns.lowercased().split(separator: ".", omittingEmptySubsequences: false)
            guard pattern.count == wantedLabels.count, !pattern.isEmpty else { return false }
            if pattern[0] == "*" {
                return pattern.count >= 3 && pattern.dropFirst().elementsEqual(wantedLabels.dropFirst())
            }
            return pattern.elementsEqual(wantedLabels)
        }
    }
}

/// Carries the verifier's answer from its task back to the waiting thread.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?

    func set(_ newValue: String?) { lock.withLock { value = newValue } }
    func get() -> String? { lock.withLock { value } }
}
