/// Errors from directory operations. The payloads are addresses or domains in
/// canonical form (or the raw input for `invalidAddress`); `weakPassword`
/// carries the reason. None of them ever contains a password or a hash.
public enum DirectoryError: Error, CustomStringConvertible, Equatable {
    case invalidAddress(String)
    case unknownDomain(String)
    case domainExists(String)
    case domainNotEmpty(String)
    case userExists(String)
    case noSuchUser(String)
    case aliasExists(String)
    case noSuchAlias(String)
    case noSuchDomain(String)
    case weakPassword(String)
    case aliasLoop(String)
    /// The account already has this send-as grant: (account, address).
    case sendAsExists(String, String)
    /// The account has no such send-as grant: (account, address).
    case noSuchSendAs(String, String)

    /// A sentence the CLI can print as is.
    public var description: String {
        switch self {
        case .invalidAddress(let address): "invalid address: \(address)"
        case .unknownDomain(let domain): "domain \(domain) is not a local domain"
        case .domainExists(let domain): "domain \(domain) already exists"
        case .domainNotEmpty(let domain): "domain \(domain) still has users or aliases"
        case .userExists(let address): "user \(address) already exists"
        case .noSuchUser(let address): "no such user \(address)"
        case .aliasExists(let address): "alias \(address) already exists"
        case .noSuchAlias(let address): "no such alias \(address)"
        case .noSuchDomain(let domain): "no such domain \(domain)"
        case .weakPassword(let reason): "password refused: \(reason)"
        case .aliasLoop(let address): "alias \(address) would expand back to itself"
        case .sendAsExists(let account, let address): "\(account) may already send as \(address)"
        case .noSuchSendAs(let account, let address): "\(account) has no send-as grant for \(address)"
        }
    }
}
