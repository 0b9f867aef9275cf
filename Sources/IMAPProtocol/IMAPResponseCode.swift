/// resp-text-code (RFC 3501 §7.1, §9) and those of UIDPLUS (RFC 4315 §3), RFC 5530, LIST
/// (RFC 5258), APPENDLIMIT (RFC 7889) and UNSELECT/QRESYNC's CLOSED (RFC 7162 §3.2.11).
public enum IMAPResponseCode: Equatable, Sendable {
    case alert
    case badCharset([String])
    case capability([String])
    case parse
    /// PERMANENTFLAGS: the flags a client can change permanently; `\*` when it may create
    /// keywords (RFC 3501 §7.1).
    case permanentFlags([IMAPFlag], canCreateKeywords: Bool)
    case readOnly, readWrite, tryCreate
    case uidNext(UInt32), uidValidity(UInt32), unseen(UInt32)
    /// APPENDUID uidvalidity uid-set (one UID, or several for MULTIAPPEND; RFC 4315 §3)
    case appendUID(uidValidity: UInt32, uids: IMAPSequenceSet)
    /// COPYUID uidvalidity source-uids destination-uids (RFC 4315 §3; also MOVE, RFC 6851)
    case copyUID(uidValidity: UInt32, source: IMAPSequenceSet, destination: IMAPSequenceSet)
    case uidNotSticky
    case closed
    // RFC 5530
    case nonexistent, alreadyExists, limit, tooBig, overQuota, inUse, noPerm, cannot, unavailable
    case authenticationFailed, authorizationFailed, expired, privacyRequired, contactAdmin
    case serverBug, clientBug, expungeIssued, corruption
    /// Any other: an atom and optional text without "]".
    case other(String, String?)
}

/// A status: OK, NO or BAD with an optional response code and human-readable text.
public struct IMAPStatus: Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable {
        case ok = "OK", no = "NO", bad = "BAD"
    }

    public var kind: Kind
    public var code: IMAPResponseCode?
    public var text: String

    public init(_ kind: Kind, code: IMAPResponseCode? = nil, _ text: String) {
        self.kind = kind
        self.code = code
        self.text = text
    }
}
