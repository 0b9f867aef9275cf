/// Where the certificate files live: `DIR/tls/`, mode 0700.
public struct TLSPaths: Sendable, Equatable {
    public var directory: String
    /// The private CA's certificate: the file users install in their mail clients.
    public var caCertificate: String
    /// The private CA's key (mode 0600). It never leaves this machine.
    public var caKey: String
    /// The server (leaf) certificate alone.
    public var serverCertificate: String
    /// The server's private key (mode 0600).
    public var serverKey: String
    /// The leaf followed by the CA (just the leaf for a self-signed certificate): what the server sends.
    public var serverChain: String
    /// A certificate signing request for a public CA (`tsubame cert csr`), and its key (mode 0600).
    public var request: String
    public var requestKey: String
    /// The private CA's revocation record (`tsubame ca revoke`), and the CRL made from it, in PEM
    /// and DER: what a web server publishes at `[tls] crl_url`.
    public var revocations: String
    public var crlPEM: String
    public var crlDER: String
    /// One line per certificate the private CA issued (serial, notAfter, names), for `ca revoke`.
    public var issued: String

    public init(dataDirectory: String) {
        let base = dataDirectory.count > 1 && dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory
        directory = "\(base)/tls"
        caCertificate = "\(directory)/ca.pem"
        caKey = "\(directory)/ca-key.pem"
        serverCertificate = "\(directory)/server.pem"
        serverKey = "\(directory)/server-key.pem"
        serverChain = "\(directory)/server-chain.pem"
        request = "\(directory)/request.pem"
        requestKey = "\(directory)/request-key.pem"
        revocations = "\(directory)/revoked.txt"
        crlPEM = "\(directory)/crl.pem"
        crlDER = "\(directory)/crl.der"
        issued = "\(directory)/issued.txt"
    }
}
