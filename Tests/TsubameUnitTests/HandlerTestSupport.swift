import AccountDirectory
import Foundation
import Logging
import MaildirStore
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import NIOSSL
import TsubameConfig
@testable import TsubameServer

/// How long a test waits for something that should happen (a reply, a close, a clean spool)
/// before it fails. Only a bound: nothing is asserted about how fast it happens.
let handlerTestDeadline: Duration = .seconds(20)

/// A data folder in /tmp with a directory (test.example, alice), a certificate from the built-in
/// PKI, and the contexts the SMTP and POP3 handlers share. Each thread pool has one thread, so a
/// `PoolGate` holds back everything submitted after it, and `drain` waits for all before it.
final class HandlerFixture {
    static let hostname = "mx.test.example"
    let root: String
    let storageThreads = NIOThreadPool(numberOfThreads: 1)
    let lookupThreads = NIOThreadPool(numberOfThreads: 1)
    let smtp: SMTPServerContext
    let pop3: POP3ServerContext

    init() throws {
        root = NSTemporaryDirectory() + "tsubame-handler-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var config = TsubameConfiguration()
        config.hostname = Self.hostname
        let directory = try SQLiteAccountDirectory(path: "\(root)/directory.sqlite")
        try directory.addDomain("test.example")
        _ = try directory.addUser("alice@test.example", password: "correct horse")
        _ = try DataFolder(path: root).ensureDefaultCertificate(config)
        let tls = TLSContextProvider(dataDirectory: root)
        try tls.load(config.tls)
        storageThreads.start()
        lookupThreads.start()
        let settings = LiveConfiguration(config)
        let quiet = Logger(label: "handler-tests") { _ in SwiftLogNoOpLogHandler() }
        let authenticator = Authenticator(
            verifier: PasswordVerifier(directory: directory, threads: lookupThreads, maximumPending: config.auth.maxPending),
            settings: config.auth)
        smtp = SMTPServerContext(
            configuration: settings,
            store: MaildirStore(dataDirectory: root, hostname: Self.hostname, threadPool: storageThreads),
            resolver: RecipientResolver(directory: directory, threadPool: lookupThreads,
                                        primaryDomain: { [settings] in settings.snapshot.settings.primaryDomain }),
            authenticator: authenticator,
            senders: SQLiteServerDirectory(directory: directory, lookupThreads: lookupThreads, hashingThreads: lookupThreads),
            submissionLimiter: SubmissionLimiter(settings: config.submission),
            tls: tls, logger: quiet)
        pop3 = POP3ServerContext(
            configuration: settings, mailRoot: "\(root)/mail",
            authenticator: authenticator, storageThreads: storageThreads, tls: tls, logger: quiet)
    }

    deinit {
        try? storageThreads.syncShutdownGracefully()
        try? lookupThreads.syncShutdownGracefully()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The files in alice's Maildir folder `sub` (tmp, new, cur).
    func aliceFiles(_ sub: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/mail/test.example/alice/\(sub)")) ?? []
    }

    /// Returns once the one-thread `pool` has run everything submitted to it before this call.
    static func drain(_ pool: NIOThreadPool) async throws {
        try await pool.runIfActive {}
    }
}

/// Holds a one-thread pool's thread until opened, so that work submitted meanwhile waits in line.
final class PoolGate: Sendable {
    private let opened = DispatchSemaphore(value: 0)
    private let isOpen = NIOLockedValueBox(false)

    init(closing pool: NIOThreadPool) {
        pool.submit { [opened] _ in opened.wait() }
    }

    func open() {
        let wasOpen = isOpen.withLockedValue { isOpen in
            defer { isOpen = true }
            return isOpen
        }
        if !wasOpen { opened.signal() }
    }

    /// A test that fails before opening the gate must not leave the pool's thread blocked.
    deinit { open() }
}

/// Counts the read requests that get past the handler above it to the front of the pipeline:
/// a handler holding input back (backpressure) keeps them to itself.
final class ReadCounter: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = ByteBuffer
    private let count = NIOLockedValueBox(0)

    var reads: Int { count.withLockedValue { $0 } }

    func read(context: ChannelHandlerContext) {
        count.withLockedValue { $0 += 1 }
        context.read()
    }
}

/// One connection without a socket: bytes in, bytes out. It is a `NIOAsyncTestingChannel`
/// rather than an `EmbeddedChannel` because the handlers complete their lookups and spool writes
/// on thread pools, and only the async testing loop accepts work from other threads.
final class WireHarness: Sendable {
    let channel: NIOAsyncTestingChannel
    let readCounter: ReadCounter
    /// Output received but not yet taken by `nextLine`.
    private let pending = NIOLockedValueBox("")

    private init(makeHandler: @escaping @Sendable () -> any ChannelHandler) async throws {
        let counter = ReadCounter()
        readCounter = counter
        channel = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(counter)
            try channel.pipeline.syncOperations.addHandler(makeHandler())
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000))
    }

    static func smtp(_ fixture: HandlerFixture, tlsMode: TLSMode = .optional) async throws -> WireHarness {
        let server = fixture.smtp
        return try await WireHarness { SMTPServerHandler(server: server, tlsMode: tlsMode) }
    }

    static func pop3(_ fixture: HandlerFixture, tlsMode: TLSMode = .optional) async throws -> WireHarness {
        let server = fixture.pop3
        return try await WireHarness { POP3ServerHandler(server: server, tlsMode: tlsMode) }
    }

    func send(_ text: String) async throws {
        try await channel.writeInbound(ByteBuffer(string: text))
    }

    func send(_ bytes: ByteBuffer) async throws {
        try await channel.writeInbound(bytes)
    }

    /// Fires an inbound event (such as `ChannelShouldQuiesceEvent`) and returns once handled.
    func fire(_ event: some Sendable) async throws {
        try await channel.testingEventLoop.executeInContext { [channel] in
            channel.pipeline.syncOperations.fireUserInboundEventTriggered(event)
        }
    }

    /// The read request an auto-reading channel makes when it is ready for more input.
    func requestRead() async throws {
        try await channel.testingEventLoop.executeInContext { [channel] in channel.pipeline.syncOperations.read() }
    }

    /// Moves what the handler has written so far into `pending`. Runs the jobs queued on the
    /// loop first, as a real loop would have by now: tasks on the connection's loop
    /// (`makeFutureWithLoopTask`) enqueue their jobs with `execute`, which the testing loop only
    /// runs when told to.
    private func collect() async throws {
        await channel.testingEventLoop.run()
        while let bytes = try await channel.readOutbound(as: ByteBuffer.self) {
            pending.withLockedValue { $0 += String(buffer: bytes) }
        }
    }

    /// Everything written and not yet taken: "" when the handler has said nothing.
    func unreadOutput() async throws -> String {
        try await collect()
        return pending.withLockedValue { $0 }
    }

    /// The next line the handler writes, without its CRLF; fails after the deadline.
    func nextLine() async throws -> String {
        let deadline = ContinuousClock.now + handlerTestDeadline
        while true {
            try await collect()
            let line: String? = pending.withLockedValue { text in
                guard let end = text.range(of: "\r\n") else { return nil }
                defer { text.removeSubrange(..<end.upperBound) }
                return String(text[..<end.lowerBound])
            }
            if let line { return line }
            guard ContinuousClock.now < deadline else { throw HarnessError.noLine(partial: pending.withLockedValue { $0 }) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The last line of the next SMTP reply ("250 2.0.0 OK"), after any "250-" lines.
    func nextReply() async throws -> String {
        while true {
            let line = try await nextLine()
            if line.count < 4 || line[line.index(line.startIndex, offsetBy: 3)] != "-" { return line }
        }
    }

    /// Waits for the handler to close the connection; fails after the deadline.
    func waitUntilClosed() async throws {
        let deadline = ContinuousClock.now + handlerTestDeadline
        while channel.isActive {
            guard ContinuousClock.now < deadline else { throw HarnessError.timedOut("the connection to close") }
            await channel.testingEventLoop.run()
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// TLS has been set up on the connection (STARTTLS or STLS went through).
    func hasTLSHandler() async throws -> Bool {
        try await channel.testingEventLoop.executeInContext { [channel] in
            (try? channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)) != nil
        }
    }
}

/// Polls `condition` until it holds; fails after the deadline.
func waitFor(_ what: String, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + handlerTestDeadline
    while !condition() {
        guard ContinuousClock.now < deadline else { throw HarnessError.timedOut(what) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

enum HarnessError: Error, CustomStringConvertible {
    case noLine(partial: String)
    case timedOut(String)

    var description: String {
        switch self {
        case .noLine(let partial): return "no complete line within \(handlerTestDeadline); got \(partial.debugDescription)"
        case .timedOut(let what): return "waited \(handlerTestDeadline) for \(what)"
        }
    }
}
