import DNSClient

/// DKIM's parsers on their own, without DNS: for a configuration check (is this key record
/// well formed?) and for the fuzz target, which feeds them hostile input.
public enum DKIMSyntax {
    /// Why a key record would not be usable for `algorithm` ("key too small", "key record
    /// syntax"...), "key revoked" for an empty p=, nil when it is good.
    public static func keyRecordProblem(_ text: String, algorithm: DKIMAlgorithm) -> String? {
        do {
            let record = try DKIMKeyRecord(text, for: algorithm)
            if case .revoked = record.key { return "key revoked" }
            return nil
        } catch {
            return error.reason
        }
    }

    /// Verifies every signature of `message` as `DKIMVerifier` does, but with `keyRecord` as
    /// the TXT answer for every key name (nil: no such name).
    public static func verify(_ message: ScannedMessage, keyRecord: String?, now: Int) -> [DKIMVerification] {
        let answer: DNSResult<TXTRecord> = keyRecord.map {
            .records([TXTRecord(strings: [Array($0.utf8)])], ttl: 0, authenticated: false)
        } ?? .nxdomain(negativeTTL: 0, authenticated: false)
        return DKIMVerifier.signatureFields(of: message).enumerated().map { position, field in
            switch DKIMVerifier.prepare(field, position: position, in: message) {
            case .done(let outcome):
                outcome
            case .needsKey(let signature, _, let outcome):
                DKIMVerifier.finish(signature, field: field, in: message, keyAnswer: answer, now: now, outcome)
            }
        }
    }
}
