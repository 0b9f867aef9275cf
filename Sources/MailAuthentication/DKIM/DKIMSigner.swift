import Foundation

/// Signs with one key (RFC 6376 §5): relaxed/relaxed, no l=, the listed headers signed
/// bottom-up, the core ones oversigned (one more time than present, so none can be added).
public struct DKIMSigner: Sendable {
    public let domain: String
    public let selector: String
    public let key: DKIMPrivateKey

    /// From, To, Cc, Subject, Date, Message-ID, Reply-To, In-Reply-To, References,
    /// MIME-Version, Content-Type and the List-* fields present.
    public static let signedHeaderNames: [String] = oversignedHeaderNames + [
        // RFC 2369, RFC 2919, RFC 8058: a list's own fields, signed when present so that
        // they cannot be altered, but not oversigned (a list downstream may add its own).
        "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Post", "List-Help", "List-Subscribe",
        "List-Owner", "List-Archive",
    ]
    /// Oversigned: From, To, Cc, Subject, Date, Message-ID, Reply-To, In-Reply-To, References,
    /// MIME-Version, Content-Type.
    public static let oversignedHeaderNames: [String] = [
        "From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "In-Reply-To", "References",
        "MIME-Version", "Content-Type",
    ]

    public init(domain: String, selector: String, key: DKIMPrivateKey) {
        self.domain = domain
        self.selector = selector
        self.key = key
    }

    /// The DKIM-Signature field to put above the message: LF line ends, folded at 78
    /// columns, ending in LF. `timestamp` is t= (seconds since 1970).
    public func signatureField(for message: ScannedMessage, timestamp: Int) throws -> String {
        guard let bodyHash = message.bodyHashes[BodyHashKey(canonicalization: .relaxed, limit: nil)] else {
            throw DKIMSigningError.noBodyHash
        }
        let names = Self.headerNames(for: message.headerFields)
        var folder = FieldFolder(name: "DKIM-Signature")
        folder.add("v=1;")
        folder.add("a=\(key.algorithm.rawValue);")
        folder.add("c=relaxed/relaxed;")
        folder.add("d=\(domain);")
        folder.add("s=\(selector);")
        folder.add("t=\(timestamp);")
        // h=: each name its own piece so the list folds between names (FWS is allowed around
        // ":" in h=, RFC 6376 §3.5).
        for (index, name) in names.enumerated() {
            let piece = (index == 0 ? "h=" : "") + name + (index == names.count - 1 ? ";" : ":")
            folder.add(piece, glued: index > 0)
        }
        folder.add("bh=\(Data(bodyHash.digest).base64EncodedString());")
        folder.add("b=")
        // §3.7: the header data, then this field with b= empty, relaxed, without its CRLF.
        var data = DKIMHeaderCanonicalization.selectedFields(message.headerFields, names: names, .relaxed)
        guard let unsigned = MessageHeaderField(text: folder.text + "\n") else { throw DKIMSigningError.noBodyHash }
        data += DKIMHeaderCanonicalization.signatureFieldForHashing(unsigned.raw, .relaxed)
        let signature = Data(try key.sign(data)).base64EncodedString()
        // b= folded anywhere (FWS inside base64 is ignored, §3.5); relaxed canonicalization
        // makes the folding harmless to the rest of the field.
        var rest = Substring(signature)
        while !rest.isEmpty {
            let room = max(FieldFolder.width - folder.column, 0)
            if room < 8 {
                folder.breakLine()
                continue
            }
            folder.add(String(rest.prefix(room)), glued: true)
            rest = rest.dropFirst(room)
        }
        return folder.text + "\n"
    }

    /// h= (§5.4): the names present, each as many times as present, the oversigned ones once
    /// more (so a verifier's bottom-up selection finds "no instance" for an added one,
    /// §5.4.2) — including the absent oversigned ones, listed once.
    static func headerNames(for fields: [MessageHeaderField]) -> [String] {
        var counts: [String: Int] = [:]
        for field in fields { counts[field.name.dkimASCIILowercased, default: 0] += 1 }
        let oversigned = Set(oversignedHeaderNames.map { $0.dkimASCIILowercased })
        var names: [String] = []
        for name in signedHeaderNames {
            let present = counts[name.dkimASCIILowercased] ?? 0
            let times = oversigned.contains(name.dkimASCIILowercased) ? present + 1 : present
            names += Array(repeating: name, count: times)
        }
        return names
    }
}

public enum DKIMSigningError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The message was scanned for verifying, not signing.
    case noBodyHash

    public var description: String {
        switch self {
        case .noBodyHash: "the message was not scanned for signing"
        }
    }
}

/// Writes a field as pieces, folding (a line end and a tab) before a piece that would pass 78
/// columns (RFC 5322 §2.1.1). A glued piece follows the previous one without a space.
struct FieldFolder {
    static let width = 78
    private(set) var text: String
    private(set) var column: Int

    init(name: String) {
        text = name + ":"
        column = text.utf8.count
    }

    mutating func add(_ piece: String, glued: Bool = false) {
        let separator = glued ? 0 : 1
        if column + separator + piece.utf8.count > Self.width, column > 1 {
            breakLine()
        } else if !glued {
            text += " "
            column += 1
        }
        text += piece
        column += piece.utf8.count
    }

    mutating func breakLine() {
        text += "\n\t"
        column = 8  // a tab counts as reaching column 8
    }
}
