import Foundation
import SwiftASN1
import X509

/// PKCS#10 certificate signing requests (RFC 2986): made here for a public CA
/// (`tsubame cert csr`), or signed here by the private CA (`tsubame ca sign`).
public struct SigningRequest: Sendable {
    public let request: CertificateSigningRequest

    init(request: CertificateSigningRequest) {
        self.request = request
    }

    /// A new key and a request for `identity`: subject CN = the first host, and the names as
    /// SubjectAlternativeNames in an extensionRequest attribute (RFC 2985 §5.4.2), which is
    /// where CAs take the names from.
    public static func make(for identity: ServerIdentity, keyType: KeyType = .default) throws -> (request: SigningRequest, key: SigningKey) {
        let key = try SigningKey.generate(keyType)
        do {
            let extensions = try Certificate.Extensions { identity.subjectAlternativeNames }
            let attributes = CertificateSigningRequest.Attributes(
                [try CertificateSigningRequest.Attribute(ExtensionRequest(extensions: extensions))])
            let request = try CertificateSigningRequest(
                version: .v1, subject: try CertificateProfile.name(commonName: identity.commonName),
                privateKey: key.certificateKey, attributes: attributes, signatureAlgorithm: key.signatureAlgorithm)
            return (SigningRequest(request: request), key)
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError.invalidMaterial("cannot make the signing request: \(error)")
        }
    }

    /// Parses a PEM request after refusing broken hashes and weak keys with the reason, and
    /// checks its signature: a request whose signature fails was altered or is not from the
    /// holder of the key (RFC 2986 §3: the signature proves possession).
    public init(pemEncoded text: String, what: String = "the signing request") throws {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw PKIError.invalidMaterial("\(what) is not a PEM file")
        }
        guard documents.count == 1, let document = documents.first else {
            throw PKIError.invalidMaterial("\(what) must hold exactly one -----BEGIN CERTIFICATE REQUEST----- block (found \(documents.count))")
        }
        guard document.discriminator == "CERTIFICATE REQUEST" || document.discriminator == "NEW CERTIFICATE REQUEST" else {
            throw PKIError.invalidMaterial("\(what) holds a \"\(document.discriminator)\" PEM block, not a CERTIFICATE REQUEST")
        }
        // CertificationRequest ::= SEQUENCE { certificationRequestInfo SEQUENCE { version,
        //     subject, subjectPKInfo, attributes [0] }, signatureAlgorithm, signature } (RFC 2986 §4)
        let top = try DEROutline.children(try DEROutline.parse(document.derBytes[...], what), what)
        guard top.count == 3, let algorithm = try DEROutline.children(top[1], what).first else {
            throw PKIError.invalidMaterial("\(what) is not a PKCS#10 certificate signing request")
        }
        try StrengthPolicy.checkSignatureAlgorithm(try DEROutline.objectIdentifier(algorithm, what), what: what)
        let info = try DEROutline.children(top[0], what)
        guard info.count >= 3 else { throw PKIError.invalidMaterial("\(what) is not a PKCS#10 certificate signing request") }
        try StrengthPolicy.checkPublicKey(try PublicKeyOutline(spki: info[2], what: what), what: what)
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(derEncoded: document.derBytes)
        } catch {
            throw PKIError.invalidMaterial("\(what) is not a valid certificate signing request: \(error)")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw PKIError.invalidMaterial(
                "the signature of \(what) does not verify with its own public key: the request was altered or damaged; ask for a new one")
        }
        self.request = request
    }

    /// The names requested: the SubjectAlternativeNames of the extensionRequest, or the subject
    /// common name when there are none; checked like `cert issue` checks its arguments.
    public func identity() throws -> ServerIdentity {
        let extensions = (try? request.attributes.extensionRequest)??.extensions
        let names = ((try? extensions?.subjectAlternativeNames) ?? nil) ?? SubjectAlternativeNames()
        var hosts: [String] = []
        var addresses: [String] = []
        for name in names {
            switch name {
            case .dnsName(let host): hosts.append(host)
            case .ipAddress(let octets): addresses.append(ServerIdentity.ipAddressText(Array(octets.bytes)))
            default:
                throw PKIError.unsupported("the request names \(name); Tsubame signs only DNS names and IP addresses")
            }
        }
        if hosts.isEmpty {
            let commonName = CertificateSummary.commonName(request.subject)
            guard !commonName.isEmpty, commonName != request.subject.description || !commonName.contains("=") else {
                throw PKIError.invalidRequest("the request names no host: it has neither SubjectAlternativeNames nor a common name")
            }
            hosts = [commonName]
        }
        return try ServerIdentity(hosts: hosts, ipAddresses: addresses)
    }

    public var pem: String {
        get throws { try request.serializeAsPEM().pemString + "\n" }
    }

    /// Writes the key (mode 0600) and the request into `DIR/tls`.
    public func save(key: SigningKey, to paths: TLSPaths) throws {
        try PEMFiles.prepareDirectory(paths.directory)
        try PEMFiles.writeAtomically([
            PEMFiles.privateKeyEntry(key, path: paths.requestKey),
            PEMFiles.Entry(path: paths.request, text: try pem, mode: PEMFiles.certificateMode),
        ])
    }
}

extension CertificateAuthority {
    /// Signs a request with the same profile and limits as `issue`: the names from its
    /// extensionRequest, CA:FALSE, serverAuth, at most 397 days, CRL Distribution Points when
    /// `crlURL` is given. Returns the leaf then the CA.
    public func sign(
        _ request: SigningRequest, days: Int = CertificateValidity.defaultServerDays, now: Date = Date(), crlURL: String? = nil
    ) throws -> [Certificate] {
        let identity = try request.identity()
        let publicKey = request.request.publicKey
        let algorithm = try KeyAlgorithm(publicKey, what: "the signing request")
        let window = try serverWindow(days: days, now: now)
        let isRSA: Bool
        if case .rsa = algorithm { isRSA = true } else { isRSA = false }
        let leaf = try CertificateProfile.sign(
            publicKey: publicKey, subject: try CertificateProfile.name(commonName: identity.commonName),
            issuer: certificate.subject, window: window,
            extensions: try CertificateProfile.serverExtensions(
                identity: identity, publicKey: publicKey, isRSA: isRSA, authorityKeyIdentifier: keyIdentifier, crlURL: crlURL),
            issuerKey: key)
        return [leaf, certificate]
    }
}
