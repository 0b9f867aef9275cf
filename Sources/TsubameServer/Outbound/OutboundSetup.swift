#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DNSClient
import Foundation
import MailQueue
import OutboundDelivery
import SMTPProtocol
import TsubameConfig

/// `[delivery]`, `[delivery.tls]`, `[delivery.routes]`, `[queue]` and `[dns]` as the delivery
/// code reads them. The loader has validated the syntax; what can still be wrong here (a
/// password file that is missing or readable by others) stops the start with a clear reason.
enum OutboundSetup {
    static func settings(_ configuration: TsubameConfiguration, dataDirectory: String) throws -> OutboundSettings {
        let delivery = configuration.delivery
        var settings = OutboundSettings(heloName: delivery.heloName.isEmpty ? configuration.hostname : delivery.heloName)
        settings.smtpPort = delivery.smtpPort
        settings.ipFamily = IPFamily(rawValue: delivery.ipFamily) ?? .any
        settings.connectTimeout = .seconds(delivery.connectTimeout)
        settings.suspended = delivery.suspended
        settings.tlsPolicy = SMTPClientTLSPolicy(rawValue: delivery.tlsPolicy) ?? .may
        for (domain, policy) in delivery.tlsPolicyByDomain {
            if let parsed = SMTPClientTLSPolicy(rawValue: policy) { settings.tlsPolicyByDomain[domain.lowercased()] = parsed }
        }
        if !delivery.tlsCAFile.isEmpty { settings.caFile = resolve(delivery.tlsCAFile, in: dataDirectory) }
        for (domain, hop) in delivery.routes {
            guard let parsed = NextHop(parsing: hop) else { throw OutboundSetupError.badNextHop(domain, hop) }
            settings.routes[domain.lowercased()] = parsed
        }
        if !delivery.relayHost.isEmpty {
            guard let hop = NextHop(parsing: delivery.relayHost) else {
                throw OutboundSetupError.badNextHop("relay_host", delivery.relayHost)
            }
            var credentials: SMTPClientCredentials?
            if !delivery.relayUsername.isEmpty {
                let password = try readPassword(resolve(delivery.relayPasswordFile, in: dataDirectory))
                credentials = SMTPClientCredentials(username: delivery.relayUsername, password: password)
            }
            settings.smarthost = Smarthost(hop: hop, credentials: credentials)
        }
        settings.concurrency = configuration.queue.concurrency
        settings.concurrencyPerDomain = configuration.queue.concurrencyPerDomain
        var names: Set<String> = [configuration.hostname.lowercased()]
        names.insert(settings.heloName.lowercased())
        names.remove("localhost")  // a test's or a fresh install's name; MX hosts are never called that
        let listeners = configuration.listeners.filter { $0.key == .smtp }.map {
            LocalEndpoint(host: $0.value.host, port: $0.value.port)
        }
        settings.localIdentity = LocalIdentity(names: names, listeners: listeners)
        return settings
    }

    static func schedule(_ queue: QueueConfiguration) -> RetrySchedule {
        RetrySchedule(firstRetry: TimeInterval(queue.firstRetry), maximumInterval: TimeInterval(queue.maxRetryInterval),
                      maximumLifetime: TimeInterval(queue.maxLifetime), delayWarning: TimeInterval(queue.delayWarning))
    }

    static func resolver(_ dns: DNSConfiguration) throws -> DNSResolver {
        guard !dns.nameservers.isEmpty else { return .system() }
        do {
            return DNSResolver(configuration: try DNSResolverConfiguration(nameservers: dns.nameservers))
        } catch {
            throw OutboundSetupError.badNameservers("\(error)")
        }
    }

    private static func resolve(_ path: String, in dataDirectory: String) -> String {
        path.hasPrefix("/") ? path : "\(dataDirectory)/\(path)"
    }

    /// The smarthost password: the file's first line. Like ssh with its keys, refuse a file
    /// others may read: the password would leak to every local user.
    static func readPassword(_ path: String) throws -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { throw OutboundSetupError.passwordFile(path, "cannot be read") }
        guard status.st_mode & 0o077 == 0 else {
            throw OutboundSetupError.passwordFile(path, "is readable by others (mode \(String(status.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 4096 else {
            throw OutboundSetupError.passwordFile(path, "cannot be read")
        }
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
        let password = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        guard !password.isEmpty else { throw OutboundSetupError.passwordFile(path, "is empty") }
        return password
    }
}

enum OutboundSetupError: Error, CustomStringConvertible {
    case badNextHop(String, String)
    case badNameservers(String)
    case passwordFile(String, String)

    var description: String {
        switch self {
        case .badNextHop(let key, let value): return "[delivery] \(key) = \"\(value)\" is not HOST[:PORT] or [ADDRESS][:PORT]"
        case .badNameservers(let reason): return "[dns] nameservers: \(reason)"
        case .passwordFile(let path, let problem): return "the smarthost password file \(path) \(problem)"
        }
    }
}

/// The server's queue intake that also wakes the scheduler: a message queued now is tried now,
/// not at the next poll.
struct WakingQueueIntake: QueueIntake {
    let store: any QueueIntake
    let scheduler: @Sendable () -> Void

    func enqueue(_ message: NewQueuedMessage) throws {
        try store.enqueue(message)
        scheduler()
    }
}
