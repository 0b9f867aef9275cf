/// Header canonicalization and selection (RFC 6376 §3.4.1, §3.4.2, §5.4.2), shared by the
/// signer and the verifier.
enum DKIMHeaderCanonicalization {
    /// One field canonicalized; `raw` is the field as on the wire, CRLF line ends, final
    /// CRLF included.
    static func canonicalize(_ raw: [UInt8], _ canonicalization: DKIMCanonicalization) -> [UInt8] {
        switch canonicalization {
        case .simple: raw
        case .relaxed: relaxed(raw)
        }
    }

    /// §3.4.2: name lower-cased, folding removed, whitespace runs made one SP, whitespace at
    /// the end of the value and around the colon removed, then CRLF.
    static func relaxed(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        let colon = raw.firstIndex(of: UInt8(ascii: ":")) ?? raw.endIndex
        var nameEnd = colon
        while nameEnd > raw.startIndex, isWhitespace(raw[nameEnd - 1]) { nameEnd -= 1 }
        for byte in raw[raw.startIndex..<nameEnd] {
            out.append(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
        }
        out.append(UInt8(ascii: ":"))
        if colon < raw.endIndex {
            var pendingSpace = false
            var hasValue = false
            for byte in raw[(colon + 1)...] {
                if byte == 0x0D || byte == 0x0A { continue }  // unfolding (RFC 5322 §2.2.3)
                if byte == 0x20 || byte == 0x09 {
                    pendingSpace = true
                    continue
                }
                if pendingSpace && hasValue { out.append(0x20) }
                pendingSpace = false
                hasValue = true
                out.append(byte)
            }
        }
        out.append(0x0D)
        out.append(0x0A)
        return out
    }

    /// The header part of the signed data (§3.7, §5.4.2): for each name of h= in order, the
    /// bottom-most instance not used yet; a name with no instance left adds nothing (which is
    /// what makes oversigning work).
    static func selectedFields(_ fields: [MessageHeaderField], names: [String],
                               _ canonicalization: DKIMCanonicalization) -> [UInt8] {
        var instances: [String: [Int]] = [:]
        for (index, field) in fields.enumerated() {
            instances[field.name.dkimASCIILowercased, default: []].append(index)
        }
        var out: [UInt8] = []
        for name in names {
            let key = name.dkimASCIILowercased
            guard let index = instances[key]?.popLast() else { continue }
            out += canonicalize(fields[index].raw, canonicalization)
        }
        return out
    }

    /// The DKIM-Signature field as it enters its own hash (§3.7): b='s value removed, the final
    /// CRLF dropped, then canonicalized (relaxed adds no CRLF back).
    static func signatureFieldForHashing(_ raw: [UInt8], _ canonicalization: DKIMCanonicalization) -> [UInt8] {
        var field = removingSignatureValue(raw)
        var canonical = canonicalize(field, canonicalization)
        if canonical.count >= 2, canonical[canonical.count - 2] == 0x0D, canonical.last == 0x0A {
            canonical.removeLast(2)
        }
        field = canonical
        return field
    }

    /// The field with the value of its b= tag removed (everything from after "b=" to the next
    /// ";" or the end, FWS included), as RFC 6376 §3.5 (b=) asks the verifier to hash it.
    static func removingSignatureValue(_ raw: [UInt8]) -> [UInt8] {
        guard let colon = raw.firstIndex(of: UInt8(ascii: ":")) else { return raw }
        var index = colon + 1
        let end = raw.endIndex
        while index < end {
            // One tag-spec: [FWS] name [FWS] "=" value up to ";".
            while index < end, isFWS(raw[index]) { index += 1 }
            let nameStart = index
            while index < end, raw[index] != UInt8(ascii: "="), raw[index] != UInt8(ascii: ";"), !isFWS(raw[index]) {
                index += 1
            }
            let isB = index - nameStart == 1 && raw[nameStart] == UInt8(ascii: "b")
            while index < end, isFWS(raw[index]) { index += 1 }
            guard index < end, raw[index] == UInt8(ascii: "=") else {
                while index < end, raw[index] != UInt8(ascii: ";") { index += 1 }
                index += 1
                continue
            }
            let valueStart = index + 1
            var valueEnd = valueStart
            while valueEnd < end, raw[valueEnd] != UInt8(ascii: ";") { valueEnd += 1 }
            if isB {
                // Keep the final CRLF of the field if the value ran to the end.
                var stop = valueEnd
                if stop == end, stop - valueStart >= 2, raw[stop - 2] == 0x0D, raw[stop - 1] == 0x0A { stop -= 2 }
                return Array(raw[raw.startIndex..<valueStart]) + Array(raw[stop..<end])
            }
            index = valueEnd + 1
        }
        return raw
    }

    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
    static func isFWS(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
}

extension String {
    /// A-Z lower-cased, nothing else: field names are ASCII (RFC 5322 §2.2) and compared
    /// case-insensitively as ASCII; Unicode case mapping (the Kelvin sign "K" becomes "k")
    /// must not make a field match a name that other verifiers would not match.
    var dkimASCIILowercased: String {
        String(decoding: utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}
