import Logging
import NIOConcurrencyHelpers
import NIOSSL
import TsubameConfig

/// The server's TLS context: the certificate chain and key from the config, TLS 1.2 and 1.3
/// only, forward-secret AEAD suites only. SIGHUP reloads it; a broken new certificate is
/// refused and the old one stays, so open and new connections keep working.
final class TLSContextProvider: Sendable {
    /// TLS 1.2 suites: ECDHE with AES-GCM or ChaCha20-Poly1305 only (TLS 1.3's are all AEAD).
    static let tls12CipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    private let current: NIOLockedValueBox<NIOSSLContext?>
    private let dataDirectory: String

    init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
        self.current = NIOLockedValueBox(nil)
    }

    var context: NIOSSLContext? { current.withLockedValue { $0 } }

    func paths(_ settings: TLSSettings) -> (certificate: String, key: String) {
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : "\(dataDirectory)/\(path)" }
        return (resolve(settings.certificate), resolve(settings.key))
    }

    /// Loads the files named in `settings`; on failure the running context stays and the
    /// error says why.
    func load(_ settings: TLSSettings) throws {
        let (certificatePath, keyPath) = paths(settings)
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw TLSLoadError("cannot read the certificate chain \(certificatePath): \(error)")
        }
        guard !chain.isEmpty else { throw TLSLoadError("\(certificatePath) holds no certificate") }
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw TLSLoadError("cannot read the private key \(keyPath): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12  // NIOSSL's default would allow TLS 1.0
        configuration.cipherSuites = Self.tls12CipherSuites
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSLoadError("the certificate \(certificatePath) and key \(keyPath) do not work together: \(error)")
        }
        current.withLockedValue { $0 = context }
    }
}

struct TLSLoadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
