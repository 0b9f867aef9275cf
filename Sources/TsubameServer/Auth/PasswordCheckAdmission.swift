/// Who may queue a password check when checks are scarce. A flood from many addresses fills
/// the queue as fast as it drains, and the owner of a mailbox would then be told "busy" as
/// often as any bot. Two rules keep a place for the owner:
/// - one client network holds at most `perNetwork` of the places, so a single address (or
///   IPv6 /64) cannot fill the queue by itself;
/// - a quarter of the places are kept for *returning* networks, which logged in successfully
///   not long ago: the mail clients that poll every few minutes from home, office or phone.
/// Newcomers share the rest. Pure bookkeeping; `PasswordVerifier` adds the lock.
struct PasswordCheckAdmission: Sendable {
    private(set) var total = 0
    private var byNetwork: [ClientNetwork: Int] = [:]

    static func reserved(of limit: Int) -> Int { limit / 4 }
    static func perNetwork(of limit: Int) -> Int { max(1, limit / 16) }

    /// Takes a place, or returns false when the check must be answered "busy".
    mutating func admit(_ network: ClientNetwork?, returning: Bool, limit: Int) -> Bool {
        let ceiling = returning ? limit : limit - Self.reserved(of: limit)
        guard total < ceiling else { return false }
        if let network {
            let held = byNetwork[network, default: 0]
            guard held < Self.perNetwork(of: limit) else { return false }
            byNetwork[network] = held + 1
        }
        total += 1
        return true
    }

    mutating func release(_ network: ClientNetwork?) {
        total -= 1
        guard let network, let held = byNetwork[network] else { return }
        byNetwork[network] = held > 1 ? held - 1 : nil
    }
}

/// Client networks that logged in successfully within `window`, bounded in number; the
/// oldest are forgotten first when the bound is reached.
struct ReturningClients: Sendable {
    static let window: UInt64 = 30 * 24 * 3600 * 1_000_000_000
    static let maximumNetworks = 10_000
    private var lastSuccess: [ClientNetwork: UInt64] = [:]

    func contains(_ network: ClientNetwork, now: UInt64) -> Bool {
        guard let seen = lastSuccess[network] else { return false }
        return now &- seen <= Self.window
    }

    mutating func recordSuccess(_ network: ClientNetwork, now: UInt64) {
        if lastSuccess[network] == nil, lastSuccess.count >= Self.maximumNetworks {
            let oldestFirst = lastSuccess.sorted { $0.value < $1.value }
            for (stale, _) in oldestFirst.prefix(Self.maximumNetworks / 10) { lastSuccess[stale] = nil }
        }
        lastSuccess[network] = now
    }
}
