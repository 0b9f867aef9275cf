import NIOCore

/// Decides whether a next hop is this server (RFC 5321 §5.1: "if the SMTP client finds its own
/// host among the MX hosts, it MUST discard it"). Built once per route lookup, so the machine's
/// interfaces are read at most once for it.
struct LoopDetector {
    let names: Set<String>
    let listeners: [LocalEndpoint]
    /// Canonical addresses of this machine's interfaces, read only when a listener is bound to
    /// a wildcard (otherwise an exact address comparison is all it takes).
    let interfaceAddresses: Set<String>

    init(identity: LocalIdentity, heloName: String,
         interfaceAddresses readInterfaces: () -> Set<String> = LoopDetector.machineAddresses) {
        // The EHLO name is ours too (OutboundSettings.heloName): an MX named as we greet is us.
        names = Set((Array(identity.names) + [heloName]).map(LoopDetector.normalized).filter { !$0.isEmpty })
        listeners = identity.listeners.map { LocalEndpoint(host: IPAddressText.canonical($0.host) ?? $0.host, port: $0.port) }
        interfaceAddresses = listeners.contains { IPAddressText.isUnspecified($0.host) } ? readInterfaces() : []
    }

    /// Lowercased, the trailing dot dropped: the form host names compare in (RFC 4343 §2).
    static func normalized(_ name: String) -> String {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// A host is us when it is named as we are, or when one of the addresses we would dial,
    /// with the port we would dial, reaches one of our SMTP listeners. The port matters: two
    /// servers on 127.0.0.1 (as in the tests, or a backup MX on one machine) are not a loop.
    func isLocal(name: String, addresses: [String], port: Int) -> Bool {
        names.contains(Self.normalized(name)) || addresses.contains { isLocal(address: $0, port: port) }
    }

    func isLocal(address: String, port: Int) -> Bool {
        guard let address = IPAddressText.canonical(address) else { return false }
        return listeners.contains { listener in
            guard listener.port == port else { return false }
            if listener.host == address { return true }
            switch listener.host {
            case "0.0.0.0":
                return !IPAddressText.isIPv6(address) && isMachineAddress(address)
            case "::":
                // Linux binds "::" dual-stack (net.ipv6.bindv6only = 0), so it takes IPv4 too.
                return isMachineAddress(address)
            default:
                return false
            }
        }
    }

    /// An address a wildcard listener answers on: loopback, the unspecified address (dialling
    /// 0.0.0.0 reaches this machine), or one of our interfaces' addresses.
    private func isMachineAddress(_ address: String) -> Bool {
        IPAddressText.isLoopback(address) || IPAddressText.isUnspecified(address) || interfaceAddresses.contains(address)
    }

    /// The addresses of this machine's interfaces (getifaddrs(3) through NIO); empty if they
    /// cannot be read, which leaves loopback and exact listener addresses to match.
    static func machineAddresses() -> Set<String> {
        guard let devices = try? System.enumerateDevices() else { return [] }
        return Set(devices.compactMap { device in device.address?.ipAddress.flatMap { IPAddressText.canonical($0) } })
    }
}
