import Foundation
import X509

extension CertificateReport {
    /// Inspects the chain a server presented (DER, leaf first, as sent), against the trusted CAs
    /// in `trustedFile` and the CRL in `crlFile` (when that file exists), as `inspect(file:...)`
    /// does for a file. Each certificate is screened as certificates in files are: weak keys and
    /// broken hashes throw (`PKIError` .weakKey / .weakSignature), with the reason.
    public static func inspect(
        presentedChain chain: [[UInt8]], trustedFile: String?, host: String?, now: Date = Date(), crlFile: String? = nil
    ) throws -> CertificateReport {
        let certificates = try chain.enumerated().map { index, der in
            try StrengthPolicy.loadCertificate(
                der: der, what: index == 0 ? "the server's certificate" : "certificate \(index + 1) the server sent")
        }
        return try inspect(chain: certificates, trustedFile: trustedFile, host: host, now: now, crlFile: crlFile)
    }
}
