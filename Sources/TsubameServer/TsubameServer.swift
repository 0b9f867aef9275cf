#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AccountDirectory
import DeliveryReports
import IMAPMailbox
import Foundation
import Logging
import MailQueue
import MaildirStore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OutboundDelivery
import ServiceLifecycle
import TsubamePKI
import TsubameConfig
import UnixSignals

/// The running server: loads the data folder, binds the listeners, serves until SIGTERM/SIGINT,
/// reloads its configuration on SIGHUP.
public enum TsubameServer {
    public static func run(dataFolder: DataFolder, listenerOverrides: [ListenerName: ListenAddress]) async throws {
        let configuration: TsubameConfiguration
        switch ConfigLoader.load(path: dataFolder.configPath) {
        case .success(var loaded):
            loaded.useListeners(listenerOverrides)
            configuration = loaded
        case .failure(let issues):
            throw ServerStartError.badConfiguration(dataFolder.configPath, issues)
        }
        TsubameLogHandler.bootstrap(level: Logger.Level(rawValue: configuration.log.level) ?? .info)
        let logger = Logger(label: "tsubame")
        let privileges = try PrivilegeDrop.prepare(configuration.server, dataFolder: dataFolder, logger: logger)
        let running = try RunningServer.claim(dataFolder)
        defer { withExtendedLifetime(running) {} }

        let directory = try SQLiteAccountDirectory(path: dataFolder.directoryPath)
        if !configuration.primaryDomain.isEmpty, try !directory.isLocalDomain(configuration.primaryDomain) {
            logger.warning("primary_domain is not a local domain; <Postmaster> goes to the domain added first",
                           metadata: ["primary_domain": "\(configuration.primaryDomain)"])
        }
        let retrySchedule = OutboundSetup.schedule(configuration.queue)
        let queue = try OutboundQueueStartup.open(dataDirectory: dataFolder.path, schedule: retrySchedule, logger: logger)
        let outboundSettings = try OutboundSetup.settings(configuration, dataDirectory: dataFolder.path)
        let dnsResolver = try OutboundSetup.resolver(configuration.dns)
        let outboundTLS = try OutboundTLS(caFile: outboundSettings.caFile)
        let authentication = try MessageAuthentication.make(configuration, dataDirectory: dataFolder.path,
                                                            resolver: dnsResolver)
        // Set once the scheduler exists: the store's intake wakes it for each queued message.
        let wakeScheduler = NIOLockedValueBox<(@Sendable () -> Void)?>(nil)
        let queueIntake = WakingQueueIntake(store: queue, scheduler: { wakeScheduler.withLockedValue { $0 }?() })
        let storageThreads = NIOThreadPool(numberOfThreads: configuration.server.storageThreads)
        // Recipient lookups and PKI upkeep; password hashing has threads of its own, so a login
        // flood never makes them wait.
        let directoryThreads = NIOThreadPool(numberOfThreads: System.coreCount)
        let passwordThreads = NIOThreadPool(numberOfThreads: System.coreCount)
        storageThreads.start()
        directoryThreads.start()
        passwordThreads.start()
        // The directory as the sessions read it (recipients, senders, credentials), created once
        // and shared: lookups on directoryThreads, password hashing on passwordThreads.
        let serverDirectory = SQLiteServerDirectory(directory: directory, lookupThreads: directoryThreads,
                                                    hashingThreads: passwordThreads)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let configBox = LiveConfiguration(configuration)
        let tls = TLSContextProvider(dataDirectory: dataFolder.path)
        if configuration.usesTLS {
            if let created = try dataFolder.ensureDefaultCertificate(configuration) {
                logger.notice("created a private CA and a server certificate; install \(created) in mail clients")
            }
            let sniNames = try tls.load(configuration.tls)
            if !sniNames.isEmpty { logger.info("TLS certificates by SNI for \(sniNames.joined(separator: ", "))") }
        }
        let authenticator = Authenticator(
            verifier: PasswordVerifier(directory: serverDirectory, maximumPending: configuration.auth.maxPending,
                                       verifiedPasswords: directory.verifiedPasswords),
            settings: configuration.auth, credentials: serverDirectory)
        // The server's one IMAP mail store. Delivery and POP3 tell it about their changes, so
        // IMAP sessions (IDLE among them) see them at once.
        let imapMailStore = SharedIMAPMailStore(configuration: IMAPMailConfiguration(
            appendLimit: configuration.imap.effectiveAppendLimit(smtp: configuration.smtp)))
        let pop3Context = POP3ServerContext(
            configuration: configBox, mailRoot: dataFolder.mailPath,
            authenticator: authenticator, storageThreads: storageThreads, tls: tls, logger: Logger(label: "pop3"),
            imapMailStore: imapMailStore)
        let imapContext = IMAPServerContext(
            configuration: configBox, mailRoot: dataFolder.mailPath, authenticator: authenticator,
            storageThreads: storageThreads, mailStore: imapMailStore, tls: tls, logger: Logger(label: "imap"))
        // SMTP AUTH shares POP3's authenticator: one throttle and one lockout table for both.
        let submissionLimiter = SubmissionLimiter(settings: configuration.submission)
        let mailStore = MaildirStore(dataDirectory: dataFolder.path, hostname: configuration.hostname,
                                     threadPool: storageThreads, queue: queueIntake,
                                     deliveryObserver: DeliveryUIDAssignment.observer(mailStore: imapMailStore,
                                                                                      logger: Logger(label: "imap")))
        let smtpContext = SMTPServerContext(
            configuration: configBox,
            store: mailStore,
            resolver: RecipientResolver(directory: serverDirectory,
                                        primaryDomain: { configBox.snapshot.settings.primaryDomain },
                                        srs: authentication.srs),
            authenticator: authenticator, senders: serverDirectory, submissionLimiter: submissionLimiter,
            tls: tls,
            logger: Logger(label: "smtp"),
            authentication: authentication)

        let listeners = ListenersService(configuration: configuration, group: group, smtp: smtpContext,
                                         pop3: pop3Context, imap: imapContext, privileges: privileges, logger: logger)
        // SIGHUP is trapped before any listener is bound: its default action ends the process, and
        // an admin (or a test) may send it as soon as the "listening" line appears.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let reloader = ConfigReloader(dataFolder: dataFolder, overrides: listenerOverrides, box: configBox,
                                      authenticator: authenticator, submissionLimiter: submissionLimiter, tls: tls,
                                      hangups: hangups, logger: logger)
        let scheduler = DeliveryScheduler(
            store: queue, folder: QueueFolder(dataDirectory: dataFolder.path), threads: storageThreads,
            routes: RouteSelector(resolver: dnsResolver, settings: outboundSettings), settings: outboundSettings,
            tls: outboundTLS, group: group,
            reportDelivery: ServerReportDelivery(directory: serverDirectory, store: mailStore, group: group,
                                                 hostname: configuration.hostname,
                                                 primaryDomain: { configBox.snapshot.settings.primaryDomain },
                                                 authentication: authentication, logger: Logger(label: "delivery")),
            reportBuilder: DeliveryReportBuilder(reportingHost: outboundSettings.heloName,
                                                 now: { Int(Date().timeIntervalSince1970) },
                                                 uniqueToken: { MaildirName.make(hostname: "x").id }),
            schedule: retrySchedule, logger: Logger(label: "delivery"))
        wakeScheduler.withLockedValue { $0 = { scheduler.wake() } }
        let serviceGroup = ServiceGroup(configuration: .init(
            services: [
                .init(service: listeners),
                .init(service: privileges.afterDrop(scheduler)),
                .init(service: reloader, successTerminationBehavior: .ignore),
                .init(service: privileges.afterDrop(UpkeepService(dataFolder: dataFolder, configuration: configBox,
                                             pkiThreads: directoryThreads, storageThreads: storageThreads, tls: tls,
                                             logger: logger)),
                      successTerminationBehavior: .ignore),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        let outcome = await Result(catching: { try await serviceGroup.run() })
        try? await group.shutdownGracefully()
        try? await storageThreads.shutdownGracefully()
        try? await directoryThreads.shutdownGracefully()
        try? await passwordThreads.shutdownGracefully()
        try outcome.get()
        logger.info("stopped")
    }
}

public enum ServerStartError: Error, CustomStringConvertible {
    case badConfiguration(String, ConfigIssues)

    public var description: String {
        switch self {
        case .badConfiguration(let path, let issues):
            return "\(path) has errors:\n" + issues.issues.map { "  \($0)" }.joined(separator: "\n")
        }
    }
}

extension TsubameConfiguration {
    /// `serve --listen NAME=HOST:PORT`: when any is given, exactly the named listeners run, at
    /// those addresses, and the config's others stay closed for this run (a test server or a
    /// second instance must not also take the config's ports).
    mutating func useListeners(_ overrides: [ListenerName: ListenAddress]) {
        if !overrides.isEmpty { listeners = overrides }
    }

    /// Some configured listener offers or needs TLS.
    var usesTLS: Bool {
        listeners.keys.contains { tls.mode(for: $0) != .none }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// Binds every configured listener, then on graceful shutdown stops accepting, lets messages
/// in transfer finish (bounded by `server.shutdown_grace`) and closes idle sessions with 421.
struct ListenersService: Service {
    let configuration: TsubameConfiguration
    let group: MultiThreadedEventLoopGroup
    let smtp: SMTPServerContext
    let pop3: POP3ServerContext
    let imap: IMAPServerContext
    let privileges: PrivilegeDrop
    let logger: Logger

    func run() async throws {
        try privileges.regainRootForBinding()
        var bound: [BoundListener] = []
        for name in ListenerName.allCases {
            guard let address = configuration.listeners[name] else { continue }
            let implicit = configuration.tls.mode(for: name) == .implicit ? smtp.tls : nil
            let listener = try await Listener.bind(name, at: address, group: group, implicitTLS: implicit,
                                                   makeHandler: handlerFactory(for: name))
            bound.append(listener)
            let local = listener.channel.localAddress
            logger.info("listening \(name.rawValue) \(local.map(Self.format) ?? "\(address)")")
        }
        try privileges.dropForGood()
        try await Listener.startAccepting(bound)

        try? await gracefulShutdown()
        logger.info("shutting down: no new connections; finishing messages in transfer")
        let grace = TimeAmount.seconds(Int64(configuration.server.shutdownGrace))
        let loop = group.next()
        let done = loop.makePromise(of: Void.self)
        let all = EventLoopFuture.andAllComplete(bound.map { listener in
            let promise = loop.makePromise(of: Void.self)
            listener.quiescing.initiateShutdown(promise: promise)
            return promise.futureResult
        }, on: loop)
        all.cascade(to: done)
        let timer = loop.scheduleTask(in: grace) {
            done.fail(ShutdownTimeout())
        }
        do {
            try await done.futureResult.get()
            timer.cancel()
        } catch {
            logger.warning("shutdown grace of \(configuration.server.shutdownGrace)s over; closing remaining connections")
            await smtp.openChannels.closeAll()
            await pop3.openChannels.closeAll()
            await imap.openChannels.closeAll()
        }
    }

    private func handlerFactory(for name: ListenerName) -> @Sendable () -> any ChannelHandler {
        let mode = configuration.tls.mode(for: name)
        switch name {
        case .pop3, .pop3s:
            return { [pop3] in POP3ServerHandler(server: pop3, tlsMode: mode, listener: name) }
        case .imap, .imaps:
            return { [imap] in IMAPServerHandler(server: imap, tlsMode: mode, listener: name) }
        case .smtp, .submission, .submissions:
            return { [smtp] in SMTPServerHandler(server: smtp, tlsMode: mode, listener: name) }
        }
    }

    struct ShutdownTimeout: Error {}

    static func format(_ address: SocketAddress) -> String {
        let ip = address.ipAddress ?? "?"
        let port = address.port ?? 0
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}

/// SIGHUP: re-read tsubame.toml; a broken file is refused and the running settings stay.
struct ConfigReloader: Service {
    let dataFolder: DataFolder
    let overrides: [ListenerName: ListenAddress]
    let box: LiveConfiguration
    let authenticator: Authenticator
    let submissionLimiter: SubmissionLimiter
    let tls: TLSContextProvider
    let hangups: UnixSignalsSequence
    let logger: Logger

    func run() async throws {
        for await _ in hangups.cancelOnGracefulShutdown() {
            switch ConfigLoader.load(path: dataFolder.configPath) {
            case .success(var fresh):
                fresh.useListeners(overrides)
                let old = box.withLockedValue { current -> TsubameConfiguration in
                    let previous = current
                    var next = fresh
                    next.listeners = previous.listeners  // sockets stay as bound until a restart
                    current = next
                    return previous
                }
                if old.listeners != fresh.listeners {
                    logger.notice("listener addresses changed in the config; they apply after a restart")
                }
                authenticator.update(settings: fresh.auth)
                submissionLimiter.update(settings: fresh.submission)
                if fresh.usesTLS {
                    // Open connections keep their session; new ones get the new certificate.
                    do {
                        let sniNames = try tls.load(fresh.tls)
                        let extra = sniNames.isEmpty ? "" : " (by SNI for \(sniNames.joined(separator: ", ")))"
                        logger.notice("TLS certificates reloaded\(extra)")
                    } catch {
                        logger.error("TLS certificate reload refused, keeping the running one: \(error)")
                    }
                }
                TsubameLogHandler.level.withLockedValue { $0 = Logger.Level(rawValue: fresh.log.level) ?? .info }
                logger.notice("configuration reloaded from \(dataFolder.configPath)")
            case .failure(let issues):
                logger.error("configuration reload refused, keeping the running settings: \(issues)")
            }
        }
    }
}
