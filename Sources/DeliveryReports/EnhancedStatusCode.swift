/// An enhanced status code (RFC 3463 §2): `class "." subject "." detail`, where class is
/// 2, 4 or 5 and subject and detail are 1 to 3 digits without leading zeros beyond one digit.
struct EnhancedStatusCode: Equatable, CustomStringConvertible {
    let text: String

    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, ["2", "4", "5"].contains(parts[0]) else { return nil }
        for number in parts.dropFirst() {
            guard (1...3).contains(number.count), number.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  number.count == 1 || number.first != "0" else { return nil }
        }
        self.text = text
    }

    /// The generic status of an action, for when the queue recorded none usable (RFC 3463 §3.1:
    /// X.0.0 "other undefined status").
    static func generic(for action: ReportAction) -> EnhancedStatusCode {
        switch action {
        case .failed: return EnhancedStatusCode("5.0.0")!
        case .delayed: return EnhancedStatusCode("4.0.0")!
        case .delivered, .relayed, .expanded: return EnhancedStatusCode("2.0.0")!
        }
    }

    var description: String { text }
}
