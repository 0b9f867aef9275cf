import Foundation
import X509

/// A certificate serial number as an administrator types it and as revocation records keep it.
///
/// RFC 5280 §4.1.2.2: a positive INTEGER of at most 20 octets. It is kept as its magnitude,
/// big-endian without leading zero bytes, so "00:5A:1B", "5a1b" and "5A1B" are the same serial.
public struct CertificateSerial: Hashable, Sendable, CustomStringConvertible {
    /// Big-endian, no leading zero byte, never empty.
    public let magnitude: [UInt8]

    /// RFC 5280 §4.1.2.2: "Conforming CAs MUST NOT use serialNumber values longer than 20 octets."
    public static let maximumOctets = 20

    /// Hex, with or without colons between the digits, any case ("5A:1B:..", "5a1b..").
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.filter { $0 != ":" }
        guard !digits.isEmpty else {
            throw PKIError.invalidRequest("\"\(text)\" is not a serial number: give it in hex, e.g. 5a1b9c or 5A:1B:9C (`tsubame cert show` prints it)")
        }
        var nibbles: [UInt8] = []
        for character in digits {
            guard let value = character.hexDigitValue, character.isASCII else {
                throw PKIError.invalidRequest(
                    "\"\(text)\" is not a serial number: \"\(character)\" is not a hex digit (give it in hex, e.g. 5a1b9c or 5A:1B:9C)")
            }
            nibbles.append(UInt8(value))
        }
        if nibbles.count % 2 == 1 { nibbles.insert(0, at: 0) }
        let bytes = stride(from: 0, to: nibbles.count, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
        try self.init(magnitude: bytes, what: "\"\(text)\"")
    }

    /// The serial of a parsed certificate (its INTEGER content, which for a positive serial may
    /// start with a 0x00 sign byte).
    public init(_ serial: Certificate.SerialNumber) throws {
        try self.init(magnitude: Array(serial.bytes), what: "the certificate's serial number")
    }

    /// From the content octets of a DER INTEGER (two's complement).
    init(derIntegerContent bytes: ArraySlice<UInt8>) throws {
        guard let first = bytes.first, first & 0x80 == 0 else {
            throw PKIError.invalidMaterial("a serial number is negative or empty; RFC 5280 §4.1.2.2 requires a positive integer")
        }
        try self.init(magnitude: Array(bytes), what: "a serial number")
    }

    private init(magnitude bytes: [UInt8], what: String) throws {
        let trimmed = Array(bytes.drop(while: { $0 == 0 }))
        guard !trimmed.isEmpty else {
            throw PKIError.invalidRequest("\(what) is zero; serial numbers are positive (RFC 5280 §4.1.2.2)")
        }
        guard trimmed.count <= Self.maximumOctets else {
            throw PKIError.invalidRequest("\(what) is \(trimmed.count) octets long; serial numbers have at most 20 (RFC 5280 §4.1.2.2)")
        }
        magnitude = trimmed
    }

    /// The content octets of the DER INTEGER: the magnitude, with a 0x00 first when its top bit is set.
    var derIntegerContent: [UInt8] {
        magnitude[0] & 0x80 == 0 ? magnitude : [0] + magnitude
    }

    /// Lower-case hex without separators: the form revoked.txt keeps.
    public var hex: String {
        magnitude.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
    }

    public var description: String { hex }
}
