// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Tsubame",
    products: [
        .executable(name: "tsubame", targets: ["tsubame"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.0"),
    ],
    targets: [
        // Shared by the protocol cores: CRLF-strict line framing, base64.
        .target(
            name: "ProtocolSupport",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // SASL mechanisms (RFC 4422), shared by POP3 AUTH and SMTP AUTH.
        .target(
            name: "SASL",
            dependencies: [
                "ProtocolSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Pure POP3 protocol core: commands, responses, session state machine, message encoding.
        .target(
            name: "POP3Protocol",
            dependencies: ["ProtocolSupport", "SASL", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Pure SMTP protocol core: framing, grammar, replies, session state machine.
        // Only ByteBuffer from NIO; no sockets, clocks or disks.
        .target(
            name: "SMTPProtocol",
            dependencies: ["ProtocolSupport", "SASL", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Pure IMAP4rev1 protocol core: framing (literals, LITERAL+), command grammar, response
        // encoder. Only ByteBuffer from NIO; no sockets, clocks or disks.
        .target(
            name: "IMAPProtocol",
            // SASL: the session core runs AUTHENTICATE's exchanges as POP3 and SMTP do.
            dependencies: ["ProtocolSupport", "SASL", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // The outbound queue: message files in DATA/queue/messages, their envelope and
        // per-recipient state behind `QueueStore` (SQLite through GRDB).
        .target(
            name: "MailQueue",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Durable Maildir delivery (write, fsync, link into new/, fsync the directory).
        .target(
            name: "MaildirStore",
            dependencies: [
                "MailQueue",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Dovecot's on-disk Maildir formats for IMAP: dovecot-uidlist (with its dotlock),
        // dovecot-keywords, flags in file names, Maildir++ folders, modified UTF-7 names,
        // subscriptions. Blocking file I/O: callers run it off the event loops.
        .target(name: "IMAPStore", dependencies: ["MaildirStore"]),
        // Messages for IMAP (pure): MIME structure, ENVELOPE/BODYSTRUCTURE, BODY[section], FETCH
        // items of one message, SEARCH matching with decoded text.
        .target(name: "IMAPMessage", dependencies: ["IMAPProtocol"]),
        // IMAP's mailboxes over the Maildir: one owner per open folder, per-session views and
        // updates, the commands of the authenticated and selected states, the SQLite cache.
        // Blocking: the server calls it on storage threads.
        .target(
            name: "IMAPMailbox",
            dependencies: [
                "IMAPProtocol", "IMAPStore", "IMAPMessage", "MaildirStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // libcrypt (yescrypt / SHA512-crypt) for password hashes Dovecot can read.
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt"),
        // Domains, users, aliases: a protocol with a SQLite (GRDB) implementation.
        .target(
            name: "AccountDirectory",
            dependencies: [
                "CCrypt", "SASL",
                .product(name: "GRDB", package: "GRDB.swift"),
                // HMAC for made-up SCRAM keys.
                .product(name: "Crypto", package: "swift-crypto"),
                // The server-side async adapter runs the synchronous SQLite calls on thread pools.
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The built-in PKI: private CA, server certificates, CSRs, CRLs, inspection; strong keys only.
        .target(
            name: "TsubamePKI",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // tsubame.toml: typed settings, defaults, validation with line numbers.
        .target(
            name: "TsubameConfig",
            dependencies: ["ProtocolSupport", .product(name: "TOMLKit", package: "TOMLKit")]
        ),
        // SwiftNIO glue, listeners, lifecycle, the data folder.
        .target(
            name: "TsubameServer",
            dependencies: [
                "SMTPProtocol", "POP3Protocol", "ProtocolSupport", "MaildirStore", "AccountDirectory", "TsubameConfig",
                "TsubamePKI", "MailQueue", "OutboundDelivery", "DNSClient", "DeliveryReports", "MailAuthentication",
                "IMAPProtocol", "IMAPStore", "IMAPMailbox",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // A TLS client for `tsubame cert show HOST:PORT`: connects (with SMTP STARTTLS or POP3 STLS
        // when asked), completes a handshake and returns the chain the server sent.
        .target(
            name: "TLSProbe",
            dependencies: [
                "ProtocolSupport",
                // The SMTP reply grammar, shared with the outbound client.
                "SMTPProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        // Delivery status notifications (RFC 3464, RFC 6533): a pure builder of bounces and
        // delay notices for the outbound queue. SMTPProtocol only for RFC 5322 dates.
        .target(
            name: "DeliveryReports",
            dependencies: ["SMTPProtocol"]
        ),
        // A stub resolver: a pure DNS message codec (RFC 1035, EDNS0) and a SwiftNIO UDP/TCP
        // transport to the configured recursive resolvers, with a TTL-bounded cache.
        .target(
            name: "DNSClient",
            dependencies: [
                "ProtocolSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // Sending: route selection (MX, routes, smarthost), the SMTP client's NIO glue with TLS,
        // and the scheduler that drains the queue, retries, and reports (DSNs).
        .target(
            name: "OutboundDelivery",
            dependencies: [
                "SMTPProtocol", "DNSClient", "MailQueue", "DeliveryReports", "ProtocolSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Message authentication (pure apart from DNS lookups through `MailAuthDNS`): DKIM signing
        // and verification (RFC 6376, 8301, 8463), SPF (RFC 7208), DMARC (RFC 7489) with the
        // Public Suffix List, Authentication-Results (RFC 8601), SRS for forwarding.
        .target(
            name: "MailAuthentication",
            dependencies: [
                "DNSClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // The thin command line shell.
        .executableTarget(
            name: "tsubame",
            dependencies: [
                "TsubameServer", "AccountDirectory", "TsubameConfig", "MaildirStore", "TsubamePKI", "TLSProbe", "MailQueue",
                "MailAuthentication", "DNSClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SMTPProtocolTests",
            dependencies: ["SMTPProtocol", "SASL", "ProtocolSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "POP3ProtocolTests",
            dependencies: ["POP3Protocol", "SASL", "ProtocolSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "IMAPProtocolTests",
            dependencies: ["IMAPProtocol", "SASL", "ProtocolSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "SASLTests",
            dependencies: [
                "SASL", "ProtocolSupport",
                // A SCRAM client for the tests: PBKDF2 and HMAC, as RFC 5802 §3 computes them.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["make_scramp_vectors.py"]
        ),
        .testTarget(
            name: "TsubamePKITests",
            dependencies: [
                "TsubamePKI",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .testTarget(
            name: "TLSProbeTests",
            dependencies: ["TLSProbe", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "DeliveryReportsTests",
            dependencies: ["DeliveryReports"],
            exclude: ["check_reports.py"]
        ),
        .testTarget(
            name: "DNSClientTests",
            dependencies: ["DNSClient", "PythonPeers", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Python peers the tests start (a port-announcing process launcher) and the fake recursive
        // resolver (PyPI dnslib) the DNS, route and SPF tests use.
        .target(
            name: "PythonPeers",
            dependencies: ["DNSClient"],
            path: "Tests/PythonPeers",
            exclude: ["fake_dns_server.py"]
        ),
        .testTarget(
            name: "OutboundDeliveryTests",
            dependencies: [
                "OutboundDelivery", "SMTPProtocol", "DNSClient", "MailQueue", "DeliveryReports", "PythonPeers",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Python peers the tests start: scripted SMTP servers (aiosmtpd) and a fake DNS server.
            exclude: ["peers"]
        ),
        .testTarget(
            name: "MailAuthenticationTests",
            dependencies: [
                "MailAuthentication", "DNSClient", "PythonPeers",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            // Python cross-checks (dkimpy, pyspf, authres) and the fake DNS server they use.
            exclude: ["python"]
        ),
        // Dovecot 2.3 run pre-authenticated over a pipe: the reference of the IMAP differential tests.
        .target(name: "DovecotPeers", path: "Tests/DovecotPeers"),
        .testTarget(name: "IMAPStoreTests", dependencies: ["IMAPStore", "MaildirStore", "DovecotPeers"]),
        .testTarget(name: "IMAPMessageTests", dependencies: ["IMAPMessage", "IMAPProtocol", "DovecotPeers"]),
        .testTarget(
            name: "IMAPMailboxTests",
            dependencies: ["IMAPMailbox", "IMAPProtocol", "IMAPStore", "IMAPMessage", "DovecotPeers", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "MailQueueTests",
            dependencies: ["MailQueue", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "TsubameUnitTests",
            dependencies: [
                "MailQueue", "MaildirStore", "AccountDirectory", "TsubameConfig", "TsubameServer", "SMTPProtocol", "SASL",
                "IMAPMailbox",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // NIOAsyncTestingChannel: the connection handlers without sockets.
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Fuzz targets (fuzz/README.md). Each is an executable: built with libFuzzer by
// `scripts/fuzz.sh` (which adds -sanitize=fuzzer,address and -DFUZZING);
// built by a plain `swift build`, it runs its fuzz function once on each file named on its
// command line, so it stays compiled and can replay a crash input.
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("FuzzSMTPCommand", ["SMTPProtocol", "SASL", "ProtocolSupport", .product(name: "NIOCore", package: "swift-nio")]),
    ("FuzzMessageContent", ["SMTPProtocol", .product(name: "NIOCore", package: "swift-nio")]),
    ("FuzzPOP3Command", ["POP3Protocol", "SMTPProtocol", "ProtocolSupport", .product(name: "NIOCore", package: "swift-nio")]),
    ("FuzzSASL", ["SASL", "ProtocolSupport"]),
    ("FuzzSMTPClient", ["SMTPProtocol", .product(name: "NIOCore", package: "swift-nio")]),
    ("FuzzCommandFramer", ["ProtocolSupport", .product(name: "NIOCore", package: "swift-nio")]),
    ("FuzzConfig", ["TsubameConfig"]),
    ("FuzzDNSMessage", ["DNSClient"]),
    ("FuzzDKIMSignature", ["MailAuthentication"]),
    ("FuzzSPFRecord", ["MailAuthentication"]),
    ("FuzzIMAPCommand", ["IMAPProtocol", .product(name: "NIOCore", package: "swift-nio")]),
    ("FuzzModifiedUTF7", ["IMAPStore"]),
    ("FuzzUIDList", ["IMAPStore"]),
    ("FuzzSubscriptions", ["IMAPStore"]),
    ("FuzzMIMEMessage", ["IMAPMessage", "IMAPProtocol"]),
    ("FuzzPKIReaders", [
        "TsubamePKI",
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
    ]),
]
package.targets += [
    .target(name: "CLibFuzzer", path: "fuzz/targets/CLibFuzzer"),
    .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "fuzz/targets/FuzzSupport"),
]
for target in fuzzTargets {
    package.targets.append(
        .executableTarget(name: target.name, dependencies: target.dependencies + ["FuzzSupport"],
                          path: "fuzz/targets/\(target.name)")
    )
}
