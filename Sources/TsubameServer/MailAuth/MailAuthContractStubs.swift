// TEMPORARY: replaced by the key store and SRS secret of the authcli branch at its merge.
import MailAuthentication

struct DKIMKeyStore: Sendable {
    init(dataDirectory: String) {}
    func signingDomain(for fromDomain: String) -> String? { nil }
    func signers(forDomain domain: String) throws -> [DKIMSigner] { [] }
}

enum SRSSecret {
    static func load(dataDirectory: String) throws -> [UInt8] { [] }
}
