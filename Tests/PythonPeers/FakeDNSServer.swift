import DNSClient
import Foundation

/// Runs fake_dns_server.py (PyPI dnslib) on 127.0.0.1: UDP and TCP on one free port, with the
/// script's own scripted names and, when given, an extra zone (one record per line, in zone
/// file syntax). Shared by the DNS client, route selection and SPF tests.
/// The server lives until its stdin closes, so it goes away with the test process too.
public final class FakeDNSServer: Sendable {
    public let port: Int
    private let peer: PythonPeerProcess

    public init(zone: String? = nil) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fake_dns_server.py")
        var arguments: [String] = []
        var zoneFile: URL?
        if let zone {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("tsubame-zone-\(UUID().uuidString)")
            try zone.write(to: file, atomically: true, encoding: .utf8)
            arguments.append(file.path)
            zoneFile = file
        }
        defer { if let zoneFile { try? FileManager.default.removeItem(at: zoneFile) } }  // read at start-up
        peer = try PythonPeerProcess(script: script, arguments: arguments, what: "the fake DNS server (is dnslib installed?)")
        port = peer.port
    }

    /// A resolver with a fresh cache, asking only this server.
    public func resolver() throws -> DNSResolver {
        let configuration = try DNSResolverConfiguration(nameservers: ["127.0.0.1:\(port)"], timeout: .seconds(2), attempts: 3)
        return DNSResolver(configuration: configuration)
    }

    public func stop() { peer.stop() }
}
