/// A tag=value list (RFC 6376 §3.2), as DKIM-Signature fields and key records use:
///
///     tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
///     tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
///     tag-name  =  ALPHA *ALNUMPUNC        ; ALNUMPUNC = ALPHA / DIGIT / "_"
///     tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]   ; tval = 1*VALCHAR (%x21-3A / %x3C-7E)
///
/// Tags are case-sensitive; a repeated tag makes the whole list invalid.
struct DKIMTagList: Sendable, Equatable {
    /// In order of appearance; values with the surrounding FWS removed (inner FWS kept).
    private(set) var tags: [(name: String, value: String)] = []

    static func == (lhs: DKIMTagList, rhs: DKIMTagList) -> Bool {
        lhs.tags.map(\.name) == rhs.tags.map(\.name) && lhs.tags.map(\.value) == rhs.tags.map(\.value)
    }

    enum ParseError: Error, Equatable, Sendable {
        case emptyTagSpec
        case badTagName(String)
        case missingEquals(String)
        case badValue(String)
        case duplicate(String)
        case tooManyTags
    }

    /// Far more than any real list; keeps hostile input cheap.
    static let maximumTags = 64

    subscript(name: String) -> String? {
        tags.first { $0.name == name }?.value
    }

    init(parsing bytes: some Collection<UInt8>) throws(ParseError) {
        let specs = Array(bytes).split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
        for (position, spec) in specs.enumerated() {
            let trimmed = Self.trimFWS(spec)
            if trimmed.isEmpty {
                // Only after the last ";" (the optional trailing separator).
                if position == specs.count - 1 && position > 0 { continue }
                throw .emptyTagSpec
            }
            guard tags.count < Self.maximumTags else { throw .tooManyTags }
            guard let equals = trimmed.firstIndex(of: UInt8(ascii: "=")) else {
                throw .missingEquals(String(decoding: trimmed.prefix(32), as: UTF8.self))
            }
            let nameBytes = Self.trimFWS(trimmed[trimmed.startIndex..<equals])
            guard let first = nameBytes.first, Self.isAlpha(first),
                  nameBytes.allSatisfy({ Self.isAlpha($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") })
            else { throw .badTagName(String(decoding: nameBytes.prefix(32), as: UTF8.self)) }
            let name = String(decoding: nameBytes, as: UTF8.self)
            let valueBytes = Self.trimFWS(trimmed[(equals + 1)...])
            // VALCHAR or FWS only. Non-ASCII is refused too: RFC 6376 has no place for it.
            guard valueBytes.allSatisfy({ ($0 >= 0x21 && $0 <= 0x7E) || DKIMHeaderCanonicalization.isFWS($0) }) else {
                throw .badValue(name)
            }
            guard self[name] == nil else { throw .duplicate(name) }
            tags.append((name, String(decoding: valueBytes, as: UTF8.self)))
        }
    }

    private static func isAlpha(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    static func trimFWS(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, DKIMHeaderCanonicalization.isFWS(first) { slice = slice.dropFirst() }
        while let last = slice.last, DKIMHeaderCanonicalization.isFWS(last) { slice = slice.dropLast() }
        return slice
    }

    /// A value with all FWS taken out (base64 values may be folded anywhere, §3.5 b=, bh=).
    static func removingFWS(_ value: String) -> String {
        String(value.unicodeScalars.filter { !($0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n") })
    }

    /// A colon-separated list (h=, t=, s=), each item with its FWS trimmed.
    static func colonList(_ value: String) -> [String] {
        value.split(separator: ":", omittingEmptySubsequences: false).map {
            String($0.unicodeScalars.filter { !($0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n") })
        }
    }
}
