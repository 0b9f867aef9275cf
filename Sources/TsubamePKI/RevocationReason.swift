/// Why a certificate was revoked: the CRLReason values (RFC 5280 §5.3.1) that make sense for a
/// private CA's server certificates. cACompromise, certificateHold, removeFromCRL,
/// privilegeWithdrawn and aACompromise are not offered: a compromised CA is replaced
/// (`tsubame ca init --force`), not revoked, and holds are not supported.
public enum RevocationReason: String, CaseIterable, Sendable {
    case unspecified
    case keyCompromise
    case affiliationChanged
    case superseded
    case cessationOfOperation

    /// The CRLReason ENUMERATED value (RFC 5280 §5.3.1).
    public var code: Int {
        switch self {
        case .unspecified: return 0
        case .keyCompromise: return 1
        case .affiliationChanged: return 3
        case .superseded: return 4
        case .cessationOfOperation: return 5
        }
    }

    init?(code: Int) {
        guard let reason = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = reason
    }

    /// A `--reason` value, in any case.
    public init(parsing text: String) throws {
        guard let reason = Self.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            throw PKIError.invalidRequest(
                "unknown revocation reason \"\(text)\"; choose one of \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = reason
    }
}
