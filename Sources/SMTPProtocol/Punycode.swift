/// Punycode (RFC 3492): the ASCII form of a Unicode label, as in the "xn--" A-labels of
/// internationalised domain names (RFC 5890 §2.3.2.1). Only the encoder: a header of a message
/// received without SMTPUTF8 must be ASCII, yet the client may have greeted with a U-label.
/// No IDNA mapping or validation happens here; the label is encoded as given.
enum Punycode {
    private static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700
    private static let initialBias = 72, initialN = 128

    /// The Punycode of `label` without the "xn--" prefix (RFC 3492 §6.3).
    static func encode(_ label: [Unicode.Scalar]) -> String {
        let codePoints = label.map { Int($0.value) }
        var output = codePoints.filter { $0 < 0x80 }.map { UInt8($0) }
        let basicCount = output.count
        if basicCount > 0 { output.append(UInt8(ascii: "-")) }
        var n = initialN, delta = 0, bias = initialBias, handled = basicCount
        while handled < codePoints.count {
            // Labels are short (a command line is at most 512 octets): no overflow in Int.
            guard let next = codePoints.filter({ $0 >= n }).min() else { break }
            delta += (next - n) * (handled + 1)
            n = next
            for codePoint in codePoints {
                if codePoint < n { delta += 1 }
                guard codePoint == n else { continue }
                var q = delta
                var k = base
                while true {
                    let t = k <= bias ? tMin : min(k - bias, tMax)
                    if q < t { break }
                    output.append(digit(t + (q - t) % (base - t)))
                    q = (q - t) / (base - t)
                    k += base
                }
                output.append(digit(q))
                bias = adapt(delta, pointCount: handled + 1, first: handled == basicCount)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// RFC 3492 §6.1.
    private static func adapt(_ delta: Int, pointCount: Int, first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / pointCount
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }

    private static func digit(_ value: Int) -> UInt8 {
        value < 26 ? UInt8(ascii: "a") + UInt8(value) : UInt8(ascii: "0") + UInt8(value - 26)
    }
}
