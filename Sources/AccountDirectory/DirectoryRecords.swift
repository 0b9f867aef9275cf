import Foundation

/// One local user, as listed by `listUsers`.
public struct UserRecord: Sendable, Equatable {
    public var address: MailboxAddress
    public var createdAt: Date

    public init(address: MailboxAddress, createdAt: Date) {
        self.address = address
        self.createdAt = createdAt
    }
}

/// One alias, as listed by `listAliases`: "local@domain" and its targets in
/// canonical form (local targets lowercased, remote local parts as written).
public struct AliasRecord: Sendable, Equatable {
    public var alias: String
    public var targets: [String]

    public init(alias: String, targets: [String]) {
        self.alias = alias
        self.targets = targets
    }
}
