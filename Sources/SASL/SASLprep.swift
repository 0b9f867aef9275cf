/// SASLprep (RFC 4013), the stringprep profile for user names and passwords.
public enum SASLprep {
    /// The prepared string, or nil when it contains prohibited characters or breaks the bidi
    /// rules (RFC 3454 §5, §6).
    public static func prepare(_ string: String) -> String? {
        // CONTRACT (helper "sasl"): the full profile (B.1 mapping to nothing, C.1.2 to space,
        // NFKC, C.1.2–C.9 prohibited, bidi). ASCII passes through unchanged as it does now.
        string
    }
}
