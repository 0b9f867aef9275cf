import Foundation
import X509

/// An extra server certificate, chosen when a client asks for one of its names by SNI
/// (RFC 6066 §3): a folder under `[tls] sni_directory` holding `chain.pem` (leaf first) and
/// `key.pem` (0600). One folder per certificate, named after its first host, as chasquid lays
/// out its certs/ folder; the names served come from the certificate's SANs, not the folder name.
public struct SNICertificateFolder: Sendable, Equatable {
    public let path: String

    public init(path: String) { self.path = path }

    public var chain: String { "\(path)/chain.pem" }
    public var key: String { "\(path)/key.pem" }

    /// The folder for a certificate whose first host is `host`; "*.example.org" becomes
    /// "_wildcard.example.org" so the folder name needs no quoting in a shell.
    public static func named(_ host: String, in directory: String) -> SNICertificateFolder {
        let name = host.lowercased().hasPrefix("*.") ? "_wildcard" + host.lowercased().dropFirst() : host.lowercased()
        return SNICertificateFolder(path: "\(directory)/\(name)")
    }

    /// The folders under `directory` holding a chain.pem, sorted by name (so the first of two
    /// certificates for one name wins the same way every time); none when it does not exist.
    public static func all(in directory: String) throws -> [SNICertificateFolder] {
        guard PEMFiles.exists(directory) else { return [] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw PKIError.fileSystem("cannot list \(directory): \(error.localizedDescription)")
        }
        return names.filter { !$0.hasPrefix(".") }.sorted()
            .map { SNICertificateFolder(path: "\(directory)/\($0)") }
            .filter { PEMFiles.exists($0.chain) }
    }

    /// The DNS names of the leaf in chain.pem, lower-cased ("*.example.org" kept as written), after the
    /// same weak-material checks as every other certificate Tsubame reads.
    public func serverNames() throws -> [String] {
        let chain = try PEMFiles.readCertificates(self.chain)
        guard let leaf = chain.first else { throw PKIError.invalidMaterial("\(self.chain) holds no certificate") }
        let alternativeNames = ((try? leaf.extensions.subjectAlternativeNames) ?? nil) ?? SubjectAlternativeNames()
        let names = alternativeNames.compactMap { name -> String? in
            if case .dnsName(let dns) = name { return dns.lowercased() }
            return nil
        }
        guard !names.isEmpty else {
            throw PKIError.invalidMaterial("\(self.chain) names no host (no DNS SubjectAlternativeName), so no SNI request can select it")
        }
        return names
    }
}

extension ServerCertificate {
    /// Writes key.pem (0600) and chain.pem (0644) into `folder`, creating it and its parent (0700)
    /// under an existing folder (DIR/tls).
    public func save(to folder: SNICertificateFolder) throws {
        let parent = (folder.path as NSString).deletingLastPathComponent
        try PEMFiles.prepareDirectory(parent)
        try PEMFiles.prepareDirectory(folder.path)
        try PEMFiles.writeAtomically([
            PEMFiles.privateKeyEntry(key, path: folder.key),
            try PEMFiles.certificateEntry(chain, path: folder.chain),
        ])
    }
}
