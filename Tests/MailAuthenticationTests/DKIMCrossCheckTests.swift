import Crypto
import Foundation
import Testing
import _CryptoExtras
@testable import MailAuthentication

/// Tsubame against dkimpy (PyPI "dkim", with PyNaCl for Ed25519), both directions, one Python
/// process per direction (python/dkim_crosscheck.py).
@Suite struct DKIMCrossCheckTests {
    /// Messages in local form (LF), each with a Subject and a body letter to spoil.
    static let messages: [(name: String, text: String)] = [
        ("plain", "From: Ann <ann@example.com>\nTo: bob@example.net\nSubject: plain\nDate: Mon, 1 Dec 2025 10:00:00 +0000\nMessage-ID: <1@example.com>\n\nHello Bob.\n"),
        ("folding", "From: Ann\n <ann@example.com>\nTo: bob@example.net,\n\tcarol@example.net\nSubject:   tricky\n   folded \t subject  \n\nBody.\n"),
        ("tabs and trailing whitespace", "From: ann@example.com\nSubject:\tTabs\t \nX-Note: a  \n\nline with tabs\t\tinside   \ntrailing spaces   \n\t\n  lead\n"),
        ("empty body", "From: ann@example.com\nSubject: empty\n\n"),
        ("no body separator", "From: ann@example.com\nTo: bob@example.net\nSubject: none\n"),
        ("no final newline", "From: ann@example.com\nSubject: unterminated\n\nlast line without newline"),
        ("repeated fields", "Received: from one\nReceived: from two\nFrom: ann@example.com\nTo: bob@example.net\nTo: carol@example.net\nSubject: repeats\n\nBody\n"),
        ("8-bit body", "From: ann@example.com\nSubject: utf-8\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGrüße, 燕 — naïve café\n"),
        ("trailing empty lines", "From: ann@example.com\nSubject: trailing\n\nBody\n\n\n\n\n\n"),
        ("list fields", "From: ann@example.com\nSubject: list\nList-Id: <l.example.com>\nList-Unsubscribe: <mailto:u@example.com>\n\nBody\n"),
        ("long lines", "From: ann@example.com\nSubject: long\n\n" + String(repeating: "word ", count: 4000) + "\n" + String(repeating: "x\n", count: 300)),
    ]

    /// The message with its Subject changed, and with one body letter changed.
    static func spoiled(_ text: String) -> (subject: String, body: String?) {
        let subject = text.replacingOccurrences(of: "Subject:", with: "Subject: X")
        guard let separator = text.range(of: "\n\n") else { return (subject, nil) }
        var bytes = Array(text.utf8)
        let bodyStart = text.utf8.distance(from: text.utf8.startIndex, to: separator.upperBound)
        guard let letter = bytes[bodyStart...].firstIndex(where: { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }) else {
            return (subject, nil)
        }
        bytes[letter] ^= 0x20
        return (subject, String(decoding: bytes, as: UTF8.self))
    }

    static func crlf(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: "\r\n") }

    static func python(_ request: [String: Any]) throws -> [String: Any] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("python/dkim_crosscheck.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        // The request goes through a file: no writer thread racing the reader.
        let requestFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("dkim-crosscheck-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: request).write(to: requestFile)
        defer { try? FileManager.default.removeItem(at: requestFile) }
        let output = Pipe()
        process.standardInput = try FileHandle(forReadingFrom: requestFile)
        process.standardOutput = output
        try process.run()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try JSONSerialization.jsonObject(with: answer) as? [String: Any]
        else { throw CrossCheckError.pythonFailed(process.terminationStatus) }
        return object
    }

    enum CrossCheckError: Error { case pythonFailed(Int32) }

    static func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test func dkimpyVerifiesWhatTsubameSigns() throws {
        let keys = [("rsa", try DKIMPrivateKey.generate(.rsa2048)), ("ed", try DKIMPrivateKey.generate(.ed25519))]
        var records: [String: String] = [:]
        var messages: [String] = []
        var expected: [Bool] = []
        var labels: [String] = []
        for (selector, key) in keys {
            records["\(selector)._domainkey.example.com"] = key.publicKeyRecord
            let signer = DKIMSigner(domain: "example.com", selector: selector, key: key)
            for (name, text) in Self.messages {
                let field = try signer.signatureField(for: dkimScan(text, .signing, pieceSize: 100), timestamp: 1_764_000_000)
                let spoiled = Self.spoiled(text)
                messages.append(Self.b64(Self.crlf(field + text))); expected.append(true)
                messages.append(Self.b64(Self.crlf(field + spoiled.subject))); expected.append(false)
                labels += ["\(selector) \(name)", "\(selector) \(name), Subject changed"]
                if let body = spoiled.body {
                    messages.append(Self.b64(Self.crlf(field + body))); expected.append(false)
                    labels.append("\(selector) \(name), body changed")
                }
            }
        }
        let answer = try Self.python(["mode": "verify", "records": records, "messages": messages])
        let results = try #require(answer["results"] as? [Bool])
        #expect(results.count == expected.count)
        for (index, label) in labels.enumerated() where index < results.count {
            #expect(results[index] == expected[index], "\(label)")
        }
    }

    @Test func tsubameVerifiesWhatDkimpySigns() async throws {
        let rsa1024 = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        let rsa2048 = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let ed = Curve25519.Signing.PrivateKey()
        let keys: [(selector: String, algorithm: String, key: String, record: String)] = [
            ("r1024", "rsa-sha256", rsa1024.pemRepresentation,
             "v=DKIM1; k=rsa; p=\(rsa1024.publicKey.derRepresentation.base64EncodedString())"),
            ("r2048", "rsa-sha256", rsa2048.pemRepresentation,
             "v=DKIM1; k=rsa; p=\(rsa2048.publicKey.derRepresentation.base64EncodedString())"),
            ("ed", "ed25519-sha256", ed.rawRepresentation.base64EncodedString(),
             "v=DKIM1; k=ed25519; p=\(ed.publicKey.rawRepresentation.base64EncodedString())"),
        ]
        var dns = InMemoryDNS()
        var items: [[String: Any]] = []
        var cases: [(label: String, text: String)] = []
        for key in keys {
            dns.addTXT("\(key.selector)._domainkey.example.com", key.record)
            for canonicalization in ["relaxed/relaxed", "simple/simple"] {
                for length in [false, true] {
                    for (name, text) in Self.messages {
                        items.append(["message": Self.b64(Self.crlf(text)), "selector": key.selector, "domain": "example.com",
                                      "key": key.key, "algorithm": key.algorithm, "canonicalization": canonicalization,
                                      "length": length])
                        cases.append(("\(key.selector) \(canonicalization)\(length ? " l=" : "") \(name)", text))
                    }
                }
            }
        }
        let answer = try Self.python(["mode": "sign", "items": items])
        let fields = try #require(answer["fields"] as? [String])
        #expect(fields.count == cases.count)
        let verifier = DKIMVerifier(dns: dns)
        for (field, testCase) in zip(fields, cases) {
            let fieldText = String(decoding: Data(base64Encoded: field) ?? Data(), as: UTF8.self)
            let good = await verifier.verify(dkimScan(fieldText + Self.crlf(testCase.text), pieceSize: 61), now: 1_764_000_000)
            #expect(good.map(\.result) == [.pass], "\(testCase.label): \(good.map { $0.reason ?? "" })")
            if testCase.label.contains(" l=") {
                #expect(good.first?.bodyLength != nil && good.first?.reason?.hasPrefix("l= covers") == true, "\(testCase.label)")
            }
            let spoiled = Self.spoiled(testCase.text)
            let badSubject = await verifier.verify(dkimScan(fieldText + Self.crlf(spoiled.subject)), now: 1_764_000_000)
            #expect(badSubject.map(\.result) == [.fail], "\(testCase.label), Subject changed")
            if let body = spoiled.body {
                let badBody = await verifier.verify(dkimScan(fieldText + Self.crlf(body)), now: 1_764_000_000)
                #expect(badBody.map(\.result) == [.fail], "\(testCase.label), body changed")
                #expect(badBody.first?.reason == "body hash did not verify", "\(testCase.label), body changed")
            }
        }
    }
}
