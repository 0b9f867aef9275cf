#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import X509

/// DATA/tls/issued.txt: every certificate the private CA signed with `tsubame cert issue` or
/// `tsubame ca sign`, appended one line each, so `tsubame ca revoke SERIAL` can say whose
/// certificate a serial is. Informational only: the CRL does not depend on it, and certificates
/// issued before it existed are missing.
///
///     # SERIAL (hex) NOT-AFTER (ISO 8601 UTC) NAMES (comma-separated)
///     5a1b9c0d... 2027-12-31T22:01:39Z mail.example.org,192.0.2.1
public enum IssuanceLog {
    public struct Record: Sendable, Equatable {
        public let serial: CertificateSerial
        public let notAfter: Date
        public let names: [String]
    }

    static let header = "# Certificates issued by the Tsubame private CA: SERIAL (hex) NOT-AFTER (ISO 8601 UTC) NAMES\n"

    static func line(for certificate: Certificate) throws -> String {
        let summary = try CertificateSummary(certificate)
        let names = summary.names.isEmpty ? [summary.commonName] : summary.names
        let serial = try CertificateSerial(certificate.serialNumber)
        return "\(serial.hex) \(RevocationLog.formatDate(certificate.notValidAfter)) \(names.joined(separator: ","))\n"
    }

    /// Parses the file's text, skipping lines it cannot read (the file is informational).
    static func records(in text: String) -> [Record] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard !line.hasPrefix("#"), fields.count == 3, let serial = try? CertificateSerial(parsing: fields[0]),
                  let notAfter = RevocationLog.parseDate(fields[1]) else { return nil }
            return Record(serial: serial, notAfter: notAfter, names: fields[2].split(separator: ",").map(String.init))
        }
    }

    /// The record of `serial` in DIR/tls/issued.txt, if any.
    public static func find(_ serial: CertificateSerial, paths: TLSPaths) -> Record? {
        guard PEMFiles.exists(paths.issued), let text = try? PEMFiles.readText(paths.issued) else { return nil }
        return records(in: text).last { $0.serial == serial }
    }

    /// Appends a line for `certificate` (the file is created, mode 0644, with a header).
    public static func append(_ certificate: Certificate, paths: TLSPaths) throws {
        try PEMFiles.prepareDirectory(paths.directory)
        let isNew = !PEMFiles.exists(paths.issued)
        let text = (isNew ? header : "") + (try line(for: certificate))
        let fd = open(paths.issued, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, PEMFiles.certificateMode)
        guard fd >= 0 else { throw PKIError.fileSystem("cannot open \(paths.issued): \(errnoText())") }
        defer { close(fd) }
        // One write of one short line with O_APPEND: concurrent appends do not interleave.
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw PKIError.fileSystem("cannot append to \(paths.issued): \(errnoText())")
        }
    }

    /// `server`, after appending its certificate to issued.txt: wraps `CertificateAuthority.issue`.
    public static func recording(_ server: ServerCertificate, in paths: TLSPaths) throws -> ServerCertificate {
        try append(server.certificate, paths: paths)
        return server
    }

    /// `chain`, after appending its leaf to issued.txt: wraps `CertificateAuthority.sign`.
    public static func recording(_ chain: [Certificate], in paths: TLSPaths) throws -> [Certificate] {
        if let leaf = chain.first { try append(leaf, paths: paths) }
        return chain
    }
}
