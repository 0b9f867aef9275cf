import FuzzSupport
import MailAuthentication

/// DKIM's scanner and parsers on hostile content (no DNS: the key record comes from the input).
/// The input: one byte for the signature limit, four for how to cut the content into reads,
/// then a key record up to the first NUL, then the message in local form (LF line ends).
/// - scanning never traps, whatever the cuts, and the cuts change nothing (same fields, same
///   verification outcomes);
/// - the header kept stays within its bounds;
/// - verifying never traps, each signature gets one result, the b= prefix is at most 8
///   characters, and nothing passes against a key record that is not good;
/// - a message we sign ourselves verifies, when its header is within bounds and does not
///   start with a continuation line (which would fold into our field).
func fuzzDKIMSignature(_ input: FuzzInput) {
    var input = input
    let maximum = input.int(in: 0...4)
    let plan = SplitPlan(&input)
    let rest = input.rest()
    let nul = rest.firstIndex(of: 0) ?? 0
    let record = String(decoding: rest[0..<nul], as: UTF8.self)
    let content = Array(rest[(nul < rest.count ? nul + 1 : nul)...])

    for algorithm in [DKIMAlgorithm.rsaSHA256, .ed25519SHA256] {
        _ = DKIMSyntax.keyRecordProblem(record, algorithm: algorithm)
    }
    _ = MessageHeaderField(text: String(decoding: content, as: UTF8.self))?.unfoldedValue

    let whole = scan(content, .verifying(maximumSignatures: maximum), lengths: [max(content.count, 1)])
    let pieces = scan(content, .verifying(maximumSignatures: maximum), lengths: plan.lengths)
    precondition(whole.headerFields == pieces.headerFields && whole.headerTooLarge == pieces.headerTooLarge)
    precondition(whole.headerFields.count <= 1000)
    precondition(whole.headerFields.reduce(0) { $0 + $1.raw.count } <= 128 * 1024)
    _ = whole.fromDomain

    let now = 1_764_000_000
    let results = DKIMSyntax.verify(whole, keyRecord: record, now: now)
    precondition(results == DKIMSyntax.verify(pieces, keyRecord: record, now: now))
    let signatures = whole.headerFields.filter { $0.name.lowercased() == "dkim-signature" }.count
    precondition(results.count == signatures)
    let recordIsGood = DKIMSyntax.keyRecordProblem(record, algorithm: .rsaSHA256) == nil
        || DKIMSyntax.keyRecordProblem(record, algorithm: .ed25519SHA256) == nil
    for result in results {
        precondition(result.signaturePrefix.count <= 8)
        precondition(result.result != .pass || recordIsGood)
    }

    // Our own signature over the content verifies.
    guard content.first != 0x20, content.first != 0x09 else { return }
    let toSign = scan(content, .signing, lengths: plan.lengths)
    let signingKey = fixedSigningKey()
    guard !toSign.headerTooLarge,
          let field = try? DKIMSigner(domain: "example.com", selector: "fuzz", key: signingKey)
              .signatureField(for: toSign, timestamp: now)
    else { return }
    let signed = scan(Array(field.utf8) + content, .verifying(maximumSignatures: 1), lengths: plan.lengths)
    guard !signed.headerTooLarge else { return }
    let own = DKIMSyntax.verify(signed, keyRecord: signingKey.publicKeyRecord, now: now)
    precondition(own.first?.result == .pass, "own signature: \(own.first.map { "\($0.result) \($0.reason ?? "")" } ?? "none")")
}

/// A fixed Ed25519 key (cheap to sign with, and runs stay reproducible). Made for each input:
/// a global holding it reads as a leak to LeakSanitizer at exit.
private func fixedSigningKey() -> DKIMPrivateKey {
    let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJeuoZPInvgsxWKY/PZL4huujR3IsoK272wpsiosiuOH\n-----END PRIVATE KEY-----\n"
    guard let key = try? DKIMPrivateKey(pemRepresentation: pem) else { preconditionFailure("fixed key") }
    return key
}

private func scan(_ content: [UInt8], _ purpose: DKIMContentScanner.Purpose, lengths: [Int]) -> ScannedMessage {
    var scanner = DKIMContentScanner(purpose: purpose)
    let plan = SplitPlan(lengths: lengths)
    for range in plan.ranges(covering: content.count) {
        content[range].withUnsafeBytes { scanner.scan($0) }
    }
    return scanner.finish()
}
