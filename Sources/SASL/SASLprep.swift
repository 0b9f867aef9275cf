import Foundation

/// SASLprep (RFC 4013), the stringprep profile (RFC 3454) for user names and passwords.
public enum SASLprep {
    /// The prepared string, or nil when it contains prohibited characters or breaks the bidi
    /// rules (RFC 3454 §5, §6). Unassigned code points are allowed: SASLprep is applied to
    /// "queries" here, the strings a client sends (RFC 4013 §2.5, RFC 3454 §7).
    public static func prepare(_ string: String) -> String? {
        // ASCII without controls maps to itself and has no bidi characters.
        if string.utf8.allSatisfy({ (0x20..<0x7F).contains($0) }) { return string }

        // RFC 4013 §2.1: B.1 is mapped to nothing, C.1.2 (non-ASCII spaces) to U+0020.
        var mapped = String.UnicodeScalarView()
        for scalar in string.unicodeScalars {
            if contains(StringprepTables.mappedToNothing, scalar) { continue }
            mapped.append(contains(StringprepTables.nonASCIISpaces, scalar) ? " " : scalar)
        }
        // RFC 4013 §2.2: Unicode normalisation form KC.
        let normalized = String(mapped).precomposedStringWithCompatibilityMapping
        let scalars = Array(normalized.unicodeScalars)

        // RFC 4013 §2.3: prohibited output.
        if scalars.contains(where: { contains(StringprepTables.prohibited, $0) }) { return nil }
        guard passesBidiRules(scalars) else { return nil }
        return normalized
    }

    /// RFC 3454 §6: a string with any RandALCat character has no LCat character, and begins
    /// and ends with a RandALCat character.
    private static func passesBidiRules(_ scalars: [Unicode.Scalar]) -> Bool {
        guard scalars.contains(where: { contains(StringprepTables.randALCat, $0) }) else { return true }
        if scalars.contains(where: { contains(StringprepTables.lCat, $0) }) { return false }
        return contains(StringprepTables.randALCat, scalars.first!) && contains(StringprepTables.randALCat, scalars.last!)
    }

    /// Binary search in sorted, disjoint ranges.
    static func contains(_ table: [ClosedRange<UInt32>], _ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        var low = 0, high = table.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if value < table[middle].lowerBound {
                high = middle - 1
            } else if value > table[middle].upperBound {
                low = middle + 1
            } else {
                return true
            }
        }
        return false
    }
}
