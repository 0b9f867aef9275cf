import Foundation

/// DATA/tls/revoked.txt: the certificates the private CA has revoked, and the number of the last
/// CRL it issued. The CRL (crl.pem, crl.der) is regenerated from this file, so it is the record.
///
/// A plain text file, one item a line; `#` starts a comment line:
///
///     # Certificates revoked by the Tsubame private CA.
///     crl-number 3
///     5a1b9c0d... 2026-11-29T22:01:47Z keyCompromise
///
/// - `crl-number N`: the CRLNumber (RFC 5280 §5.2.3) of the last CRL written; the next is N + 1.
/// - `SERIAL DATE REASON`: the serial in lower-case hex (no colons, no leading zero bytes), the
///   revocation time in ISO 8601 UTC to the second, and a `RevocationReason` name.
public struct RevocationLog: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let serial: CertificateSerial
        public let date: Date
        public let reason: RevocationReason

        public init(serial: CertificateSerial, date: Date, reason: RevocationReason) {
            self.serial = serial
            self.date = RevocationLog.wholeSeconds(date)
            self.reason = reason
        }
    }

    public private(set) var entries: [Entry]
    /// The number of the last CRL issued; 0 before the first.
    public var crlNumber: Int

    public init(entries: [Entry] = [], crlNumber: Int = 0) {
        self.entries = entries
        self.crlNumber = crlNumber
    }

    /// Parses the file's text; `what` names it in errors (its path).
    public init(parsing text: String, what: String = "revoked.txt") throws {
        var entries: [Entry] = []
        var crlNumber = 0
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            let place = "\(what) line \(index + 1)"
            if fields.first == "crl-number" {
                guard fields.count == 2, let number = Int(fields[1]), number >= 0 else {
                    throw PKIError.invalidMaterial("\(place): expected `crl-number N`, found \"\(line)\"")
                }
                crlNumber = number
                continue
            }
            guard fields.count == 3 else {
                throw PKIError.invalidMaterial("\(place): expected `SERIAL DATE REASON`, found \"\(line)\"")
            }
            let serial: CertificateSerial
            let reason: RevocationReason
            do {
                serial = try CertificateSerial(parsing: fields[0])
                reason = try RevocationReason(parsing: fields[2])
            } catch let error as PKIError {
                throw PKIError.invalidMaterial("\(place): \(error.description)")
            }
            guard let date = Self.parseDate(fields[1]) else {
                throw PKIError.invalidMaterial("\(place): \"\(fields[1])\" is not an ISO 8601 UTC time such as 2026-11-29T22:01:47Z")
            }
            guard !entries.contains(where: { $0.serial == serial }) else {
                throw PKIError.invalidMaterial("\(place): serial \(serial) is listed twice")
            }
            entries.append(Entry(serial: serial, date: date, reason: reason))
        }
        self.init(entries: entries, crlNumber: crlNumber)
    }

    /// The file's text.
    public var text: String {
        var lines = [
            "# Certificates revoked by the Tsubame private CA (written by `tsubame ca revoke`).",
            "# crl-number N: the number of the last CRL issued (crl.pem, crl.der).",
            "# SERIAL (hex) REVOKED-AT (ISO 8601 UTC) REASON (RFC 5280 CRLReason)",
            "crl-number \(crlNumber)",
        ]
        lines += entries.map { "\($0.serial.hex) \(Self.formatDate($0.date)) \($0.reason.rawValue)" }
        return lines.joined(separator: "\n") + "\n"
    }

    public func entry(for serial: CertificateSerial) -> Entry? {
        entries.first { $0.serial == serial }
    }

    /// Adds a revocation; a serial revoked before is refused, with the date it was.
    public mutating func add(_ entry: Entry) throws {
        if let earlier = self.entry(for: entry.serial) {
            throw PKIError(.alreadyExists,
                "serial \(entry.serial) was already revoked on \(Self.formatDate(earlier.date)) (\(earlier.reason.rawValue)); nothing changed")
        }
        entries.append(entry)
    }

    /// CRL times have a resolution of one second (RFC 5280 §5.1.2.4).
    static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    static func formatDate(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }

    static func parseDate(_ text: String) -> Date? {
        guard text.hasSuffix("Z") else { return nil }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }
}
