import Foundation
import Logging
import PythonPeers
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
@testable import OutboundDelivery
import SMTPProtocol

/// Runs peers/smtp_peer.py (PyPI aiosmtpd) on 127.0.0.1 for one test, in one of its modes.
/// It lives until its stdin closes, so it goes away with the test process too.
final class SMTPPeer: Sendable {
    let port: Int
    let recordPath: String
    private let peer: PythonPeerProcess

    init(mode: String, certificates: TestCertificates? = nil) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("peers").appendingPathComponent("smtp_peer.py")
        recordPath = NSTemporaryDirectory() + "smtp-peer-\(UUID().uuidString).jsonl"
        _ = FileManager.default.createFile(atPath: recordPath, contents: nil)
        peer = try PythonPeerProcess(script: script,
                                     arguments: [mode, recordPath] + (certificates.map { [$0.serverCertificate, $0.serverKey] } ?? []),
                                     what: "the SMTP peer (is aiosmtpd installed?)")
        port = peer.port
        Self.alive.withLockedValue { $0.append(self) }
    }

    /// Every peer stays referenced until the test process ends: Swift may release a local
    /// after its last use, which for a peer can come before the client connects. The peers
    /// end with the process (their stdin closes).
    private static let alive = NIOLockedValueBox<[SMTPPeer]>([])

    func stop() { peer.stop() }

    /// What the peer recorded, one JSON object per line.
    func events() throws -> [[String: Any]] {
        let text = try String(contentsOfFile: recordPath, encoding: .utf8)
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    func events(_ kind: String) throws -> [[String: Any]] {
        try events().filter { $0["event"] as? String == kind }
    }

    /// The messages received, with their DATA octets as sent (dot-unstuffed by the peer).
    func messages() throws -> [ReceivedMessage] {
        try events("message").map {
            ReceivedMessage(connection: $0["conn"] as? Int ?? -1, mailFrom: $0["mail_from"] as? String ?? "",
                            recipients: $0["rcpt_tos"] as? [String] ?? [],
                            data: Array(Data(base64Encoded: $0["data"] as? String ?? "") ?? Data()),
                            tls: $0["tls"] as? Bool ?? false)
        }
    }

    var host: DeliveryHost { DeliveryHost(name: "localhost", addresses: ["127.0.0.1"], port: port) }
}

struct ReceivedMessage {
    var connection: Int
    var mailFrom: String
    var recipients: [String]
    var data: [UInt8]
    var tls: Bool
}

struct PeerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A throwaway CA and a server certificate for "localhost" and 127.0.0.1, made by `openssl`.
struct TestCertificates {
    let directory: String
    var caCertificate: String { directory + "/ca.pem" }
    var serverCertificate: String { directory + "/server.pem" }
    var serverKey: String { directory + "/server.key" }
    /// Another CA that signed nothing here: trusting it alone must not verify the server.
    var otherCA: String { directory + "/other-ca.pem" }

    static func make() throws -> TestCertificates {
        let directory = NSTemporaryDirectory() + "outbound-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for (name, subject) in [("ca", "/CN=Tsubame Test CA"), ("other-ca", "/CN=Unrelated Test CA")] {
            try openssl(["req", "-x509"] + ec + ["-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem",
                         "-days", "2", "-subj", subject,
                         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        }
        try openssl(["req"] + ec + ["-keyout", "\(directory)/server.key", "-out", "\(directory)/server.csr",
                     "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: "\(directory)/server.ext", atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", "\(directory)/server.csr", "-CA", "\(directory)/ca.pem",
                     "-CAkey", "\(directory)/ca.key", "-CAcreateserial", "-out", "\(directory)/server.pem",
                     "-days", "2", "-extfile", "\(directory)/server.ext"])
        return TestCertificates(directory: directory)
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw PeerError(message: "openssl \(arguments.first ?? ""): \(text)") }
    }
}

/// Shared pieces of the client tests.
enum ClientFixture {
    static let logger = Logger(label: "test.outbound-client")
    static let group = MultiThreadedEventLoopGroup.singleton
    /// Every SMTP timeout capped, so a test that goes wrong ends in seconds (not too few: the
    /// peers are Python processes on a busy machine).
    static let timeoutLimit = Duration.seconds(30)

    static func mailbox(_ text: String) -> SMTPMailbox {
        let parts = text.split(separator: "@", maxSplits: 1)
        return SMTPMailbox(localPart: String(parts[0]), domain: String(parts[1]))
    }

    static func message(to recipients: [String], from sender: String = "alice@a.example", size: Int = 100,
                        bodyType: SMTPBodyType = .sevenBit) -> SMTPOutboundMessage {
        SMTPOutboundMessage(reversePath: .mailbox(mailbox(sender)),
                            recipients: recipients.map { SMTPOutboundRecipient(mailbox($0)) },
                            size: size, bodyType: bodyType)
    }

    /// A stored message file (LF line ends, as the queue keeps them).
    static func contentFile(_ bytes: [UInt8]) throws -> OutboundContent {
        let path = NSTemporaryDirectory() + "outbound-content-\(UUID().uuidString).eml"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return OutboundContent(filePath: path)
    }

    static let simpleContent = Array("Subject: test\nFrom: alice@a.example\n\nHello.\n".utf8)

    static func configuration(_ policy: SMTPClientTLSPolicy = .may, implicitTLS: Bool = false,
                              credentials: SMTPClientCredentials? = nil) -> SMTPClientConfiguration {
        SMTPClientConfiguration(clientName: "client.test", tlsPolicy: policy, tlsActiveFromStart: implicitTLS,
                                credentials: credentials)
    }

    static func open(_ host: DeliveryHost, _ configuration: SMTPClientConfiguration, tls: OutboundTLS,
                     timeoutLimit: Duration = timeoutLimit) async -> Result<SMTPClientConnection, SMTPClientFailure> {
        await SMTPClientConnection.open(host: host, address: host.addresses[0], configuration: configuration, tls: tls,
                                        group: group, connectTimeout: .seconds(5), logger: logger,
                                        timeoutLimit: timeoutLimit)
    }

    /// The content as it must arrive: CRLF line ends, a final CRLF, no stuffing left.
    static func wire(_ stored: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        for byte in stored {
            if byte == UInt8(ascii: "\n") { result += [13, 10] } else { result.append(byte) }
        }
        if result.suffix(2) != [13, 10] { result += [13, 10] }
        return result
    }
}
