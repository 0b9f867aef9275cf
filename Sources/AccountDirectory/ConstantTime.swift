/// Compares two strings in time that depends only on their lengths, so that
/// timing does not reveal how many leading bytes of a hash were guessed right.
func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
    let a = Array(lhs.utf8)
    let b = Array(rhs.utf8)
    let length = max(a.count, b.count)
    // A length mismatch still walks the whole longer string.
    var difference: UInt8 = a.count == b.count ? 0 : 1
    for index in 0..<length {
        let x = index < a.count ? a[index] : 0
        let y = index < b.count ? b[index] : 0
        difference |= x ^ y
    }
    return difference == 0
}
