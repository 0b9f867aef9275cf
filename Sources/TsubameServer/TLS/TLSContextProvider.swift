import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import TsubameConfig
import TsubamePKI

/// The server's TLS context: the certificate chain and key from the config (the default), the
/// certificates in the SNI folder for the names they carry, TLS 1.2 and 1.3 only,
/// forward-secret AEAD suites only. SIGHUP reloads it; a broken new certificate is
/// refused and the old one stays, so open and new connections keep working.
final class TLSContextProvider: Sendable {
    /// TLS 1.2 suites: ECDHE with AES-GCM or ChaCha20-Poly1305 only (TLS 1.3's are all AEAD).
    static let tls12CipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// How long a closing connection waits for the client's close_notify after sending its own.
    /// A server need not wait at all (RFC 8446 §6.1), and swift-nio-ssl keeps the connection's
    /// objects (buffers, the TLS state: ~50 KB) alive until this timer fires even when the client
    /// has long gone; at its default of 5 s, 400 sessions/s held ~100 MB.
    static let closeNotifyWait = TimeAmount.milliseconds(250)

    private let current: NIOLockedValueBox<NIOSSLContext?>
    private let dataDirectory: String

    init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
        self.current = NIOLockedValueBox(nil)
    }

    var context: NIOSSLContext? { current.withLockedValue { $0 } }

    func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : "\(dataDirectory)/\(path)" }

    func paths(_ settings: TLSSettings) -> (certificate: String, key: String) {
        (resolve(settings.certificate), resolve(settings.key))
    }

    /// Loads the files named in `settings` and the SNI certificates; on any failure the running
    /// context stays and the error says why. Returns the names served by SNI certificates.
    @discardableResult
    func load(_ settings: TLSSettings) throws -> [String] {
        let (certificatePath, keyPath) = paths(settings)
        let identity = try Self.readPair(chain: certificatePath, key: keyPath)
        var configuration = Self.baseConfiguration(identity, settings: settings)
        let (index, names) = try Self.loadSNICertificates(in: resolve(settings.sniDirectory))
        if !index.isEmpty {
            configuration.sslContextCallback = { values, promise in
                promise.succeed(index.lookup(values.serverHostname) ?? .noChanges)
            }
        }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSLoadError("the certificate \(certificatePath) and key \(keyPath) do not work together: \(error)")
        }
        current.withLockedValue { $0 = context }
        return names
    }

    /// TLS 1.2 (unless `min_version` is 1.3) and 1.3 with the suites above, serving `identity` by default.
    private static func baseConfiguration(_ identity: CertificateAndKey, settings: TLSSettings) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: identity.chain.map { .certificate($0) }, privateKey: .privateKey(identity.key))
        // NIOSSL's default would allow TLS 1.0; RFC 8996 forbids 1.0 and 1.1.
        configuration.minimumTLSVersion = settings.minimumVersion == "1.3" ? .tlsv13 : .tlsv12
        configuration.cipherSuites = tls12CipherSuites
        configuration.shutdownTimeout = closeNotifyWait
        return configuration
    }

    /// Every folder in the SNI directory, each checked like the main certificate (weak material
    /// refused, the key must match) before any is used.
    private static func loadSNICertificates(
        in directory: String
    ) throws -> (ServerNameIndex<NIOSSLContextConfigurationOverride>, [String]) {
        var index = ServerNameIndex<NIOSSLContextConfigurationOverride>()
        var served: [String] = []
        let folders: [SNICertificateFolder]
        do {
            folders = try SNICertificateFolder.all(in: directory)
        } catch {
            throw TLSLoadError("\(error)")
        }
        for folder in folders {
            let names: [String]
            do {
                names = try folder.serverNames()
            } catch {
                throw TLSLoadError("SNI certificate \(folder.chain): \(error)")
            }
            let identity = try readPair(chain: folder.chain, key: folder.key)
            do {
                _ = try NIOSSLContext(configuration: baseConfiguration(identity, settings: TLSSettings()))
            } catch {
                throw TLSLoadError("the SNI certificate \(folder.chain) and key \(folder.key) do not work together: \(error)")
            }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = identity.chain.map { .certificate($0) }
            override.privateKey = .privateKey(identity.key)
            let taken = index.add(override, names: names)
            served += names.filter { !taken.contains($0) }
        }
        return (index, served)
    }

    private struct CertificateAndKey {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
    }

    private static func readPair(chain chainPath: String, key keyPath: String) throws -> CertificateAndKey {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(chainPath)
        } catch {
            throw TLSLoadError("cannot read the certificate chain \(chainPath): \(error)")
        }
        guard !chain.isEmpty else { throw TLSLoadError("\(chainPath) holds no certificate") }
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw TLSLoadError("cannot read the private key \(keyPath): \(error)")
        }
        return CertificateAndKey(chain: chain, key: key)
    }
}

struct TLSLoadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
