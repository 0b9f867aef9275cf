import Foundation
import Testing
import X509
@testable import TsubamePKI

/// A fresh directory under /tmp, removed when the test is done with it.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/tsubame-pki-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw PKIError(.fileSystem, "mkdtemp failed") }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    var tls: TLSPaths { TLSPaths(dataDirectory: path) }
}

/// The permission bits of a file or directory.
func mode(of path: String) throws -> mode_t {
    var info = stat()
    guard lstat(path, &info) == 0 else { throw PKIError(.fileSystem, "stat \(path) failed") }
    return info.st_mode & 0o7777
}

func readFile(_ path: String) throws -> String { try PEMFiles.readText(path) }

/// Runs swift-certificates' Verifier with RFC 5280 path validation and RFC 6125 server identity.
func verifies(_ chain: [Certificate], roots: [Certificate], host: String? = nil, ip: String? = nil) async -> Bool {
    var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
        RFC5280Policy()
        ServerIdentityPolicy(serverHostname: host, serverIP: ip)
    }
    let result = await verifier.validate(leaf: chain[0], intermediates: CertificateStore(chain.dropFirst()))
    if case .validCertificate = result { return true }
    return false
}

/// Expects `body` to throw a PKIError of `kind` whose sentence contains `text`.
func expectRefusal(
    _ kind: PKIError.Kind, containing text: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected a \(kind) refusal containing \"\(text)\", but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as PKIError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains(text), "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a PKIError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// The openssl command line, when installed.
enum OpenSSL {
    static let path: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static var isAvailable: Bool { path != nil }

    /// Runs openssl with `arguments`; returns the exit status and stdout + stderr.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path ?? "/usr/bin/openssl")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Runs `body` on a thread of its own. The PKI's synchronous chain checks (`cert show`,
/// `cert install`) wait for swift-certificates' async Verifier, and waiting must never block a
/// thread of Swift's cooperative pool, where tests run (with 2 cores it would deadlock).
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// `expectRefusal` for a body that must run off the cooperative pool (see `onThread`).
func expectRefusalOffPool(
    _ kind: PKIError.Kind, containing text: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable () throws -> Void
) async {
    do {
        try await onThread(body)
        Issue.record("expected a \(kind) refusal containing \"\(text)\", but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as PKIError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains(text), "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a PKIError, got \(error)", sourceLocation: sourceLocation)
    }
}
