/// Why a certificate operation was refused or failed, as a sentence an administrator can act on.
public struct PKIError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// A request the rules forbid or that makes no sense (bad host name, too many days, ...).
        case invalidRequest
        /// A key too weak to trust (RSA under 2048 bits, DSA, an unknown curve).
        case weakKey
        /// A signature made with a broken hash (MD5, SHA-1).
        case weakSignature
        /// Material that is well formed but of a kind Tsubame does not use.
        case unsupported
        /// A file that cannot be parsed, or a key that does not match its certificate.
        case invalidMaterial
        /// The private CA is needed but not there.
        case missingCA
        /// Refusing to overwrite something that exists.
        case alreadyExists
        /// Reading or writing a file failed.
        case fileSystem
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    static func invalidRequest(_ text: String) -> PKIError { PKIError(.invalidRequest, text) }
    static func weakKey(_ text: String) -> PKIError { PKIError(.weakKey, text) }
    static func weakSignature(_ text: String) -> PKIError { PKIError(.weakSignature, text) }
    static func unsupported(_ text: String) -> PKIError { PKIError(.unsupported, text) }
    static func invalidMaterial(_ text: String) -> PKIError { PKIError(.invalidMaterial, text) }
    static func fileSystem(_ text: String) -> PKIError { PKIError(.fileSystem, text) }
}
