import ProtocolSupport
import Testing
@testable import SASL

@Suite("SASL SCRAM-SHA-256 exchange (RFC 5802, RFC 7677)")
struct SCRAMExchangeTests {
    /// RFC 7677 §3.
    enum RFC7677 {
        static let salt = Base64.decode(Array("W22ZaJ0SNY7soEsUEjb6gQ==".utf8))!
        static let credentials = SCRAMCredentials.derive(password: "pencil", salt: salt, iterations: 4096)!
        static let serverNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
        static let clientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        static let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        static let clientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        static let serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    }

    @Test func reproducesTheRFC7677Exchange() {
        var exchange = SASLServerExchange(mechanism: .scramSHA256, serverNonce: RFC7677.serverNonce)
        #expect(exchange.start(initialResponse: b64(RFC7677.clientFirst)) == .lookUpCredentials(username: "user"))
        #expect(exchange.credentialsFound(RFC7677.credentials) == .challenge(Array(RFC7677.serverFirst.utf8)))
        #expect(exchange.receive(b64(RFC7677.clientFinal))
                == .proofVerified(username: "user", serverFinal: Array(RFC7677.serverFinal.utf8)))
        #expect(exchange.receive([]) == .succeeded(username: "user"))
        #expect(exchange.receive([]) == .failed(.malformed, username: "user"))
    }

    /// The keys behind the RFC 7677 proof, recomputed from "pencil": what `tsubame user passwd`
    /// stores must be what the RFC's server holds.
    @Test func derivesKeysThatVerifyTheRFC7677Proof() {
        let proof = Base64.decode(Array("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=".utf8))!
        let authMessage = Array(("n=user,r=rOprNGfwEbeRWgbNEkqO," + RFC7677.serverFirst + ","
                                 + "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0").utf8)
        #expect(SCRAMVerification.verify(proof: proof, authMessage: authMessage, credentials: RFC7677.credentials))
        #expect(Base64.encode(SCRAMVerification.serverSignature(authMessage: authMessage, credentials: RFC7677.credentials))
                == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
        #expect(RFC7677.credentials.iterations == 4096 && RFC7677.credentials.salt == RFC7677.salt)
    }

    @Test func emptyInitialResponseAsksForTheClientFirst() {
        for initial in [nil, Array("=".utf8)] {
            var exchange = SASLServerExchange(mechanism: .scramSHA256, serverNonce: RFC7677.serverNonce)
            #expect(exchange.start(initialResponse: initial) == .challenge([]))
            #expect(exchange.receive(b64(RFC7677.clientFirst)) == .lookUpCredentials(username: "user"))
        }
    }

    @Test func wrongProofIsRejected() {
        var exchange = SASLServerExchange(mechanism: .scramSHA256, serverNonce: RFC7677.serverNonce)
        _ = exchange.start(initialResponse: b64(RFC7677.clientFirst))
        _ = exchange.credentialsFound(SCRAMCredentials.derive(password: "pencil2", salt: RFC7677.salt, iterations: 4096)!)
        #expect(exchange.receive(b64(RFC7677.clientFinal)) == .failed(.rejected, username: "user"))
    }

    @Test func acknowledgementMustBeEmpty() {
        var exchange = SASLServerExchange(mechanism: .scramSHA256, serverNonce: RFC7677.serverNonce)
        _ = exchange.start(initialResponse: b64(RFC7677.clientFirst))
        _ = exchange.credentialsFound(RFC7677.credentials)
        _ = exchange.receive(b64(RFC7677.clientFinal))
        #expect(exchange.receive(b64("v=x")) == .failed(.malformed, username: "user"))
    }

    @Test func randomServerNonceContinuesTheClientsAndIsLongEnough() throws {
        var exchange = SASLServerExchange(mechanism: .scramSHA256)
        _ = exchange.start(initialResponse: b64(RFC7677.clientFirst))
        guard case .challenge(let serverFirst) = exchange.credentialsFound(RFC7677.credentials) else {
            Issue.record("no server-first"); return
        }
        let nonce = try #require(text(serverFirst).split(separator: ",").first?.dropFirst(2))
        #expect(nonce.hasPrefix("rOprNGfwEbeRWgbNEkqO"))
        let added = nonce.dropFirst("rOprNGfwEbeRWgbNEkqO".count)
        #expect(added.count >= 18 && added.utf8.allSatisfy { (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ",") })
    }

    /// Transcripts from scramp (Tests/SASLTests/make_scramp_vectors.py), an independent
    /// implementation, including a password SASLprep changes.
    @Test(arguments: scrampVectors.map { ($0.name, $0) })
    func reproducesScrampTranscripts(name: String, vector: ScrampVector) {
        let stored = SCRAMCredentials(
            salt: Base64.decode(Array(vector.salt.utf8))!, iterations: vector.iterations,
            storedKey: Base64.decode(Array(vector.storedKey.utf8))!, serverKey: Base64.decode(Array(vector.serverKey.utf8))!)
        #expect(SCRAMCredentials.derive(password: vector.password, salt: stored.salt, iterations: vector.iterations) == stored)
        var exchange = SASLServerExchange(mechanism: .scramSHA256, serverNonce: vector.serverNonce)
        #expect(exchange.start(initialResponse: nil) == .challenge([]))
        #expect(exchange.receive(b64(vector.clientFirst)) == .lookUpCredentials(username: vector.username))
        #expect(exchange.credentialsFound(stored) == .challenge(Array(vector.serverFirst.utf8)))
        #expect(exchange.receive(b64(vector.clientFinal))
                == .proofVerified(username: vector.username, serverFinal: Array(vector.serverFinal.utf8)))
        #expect(exchange.receive(Array("".utf8)) == .succeeded(username: vector.username))
    }

    // MARK: Grammar (RFC 5802 §7)

    /// A client-first, and what the exchange answers.
    @Test(arguments: [
        ("y,,n=user,r=abc", SASLStep.lookUpCredentials(username: "user")),
        ("n,a=user,n=user,r=abc", .lookUpCredentials(username: "user")),
        ("n,a=USER,n=user,r=abc", .lookUpCredentials(username: "user")),
        ("n,,n=user,r=abc,x=an-extension", .lookUpCredentials(username: "user")),
        ("n,,n=us=2Cer=3D,r=abc", .lookUpCredentials(username: "us,er=")),
        ("n,,n=I\u{AD}X,r=abc", .lookUpCredentials(username: "IX")),  // SASLprep on the name
        ("p=tls-unique,,n=user,r=abc", .failed(.rejected, username: "user")),
        ("n,a=other,n=user,r=abc", .failed(.rejected, username: "user")),
        ("n,,m=ext,n=user,r=abc", .failed(.malformed, username: nil)),
        ("n,,n=user,r=abc,m=late", .failed(.malformed, username: nil)),
        ("x,,n=user,r=abc", .failed(.malformed, username: nil)),
        ("n,,n=us=2cer,r=abc", .failed(.malformed, username: nil)),  // only "=2C" and "=3D"
        ("n,,n=us=er,r=abc", .failed(.malformed, username: nil)),
        ("n,,n=,r=abc", .failed(.malformed, username: nil)),
        ("n,,n=user,r=", .failed(.malformed, username: nil)),
        ("n,,n=user,r=a\u{E9}", .failed(.malformed, username: nil)),  // nonce: printable ASCII
        ("n,,n=user", .failed(.malformed, username: nil)),
        ("n,,r=abc,n=user", .failed(.malformed, username: nil)),
        ("n,,n=\u{7},r=abc", .failed(.malformed, username: nil)),  // SASLprep refuses the name
        ("n,n=user,r=abc", .failed(.malformed, username: nil)),
        ("n,,n=user,r=abc,", .failed(.malformed, username: nil)),
        ("n,,n=" + String(repeating: "a", count: 256) + ",r=abc", .failed(.malformed, username: nil)),
    ])
    func clientFirstGrammar(message: String, step: SASLStep) {
        var exchange = SASLServerExchange(mechanism: .scramSHA256)
        #expect(exchange.start(initialResponse: b64(message)) == step)
    }

    static let combinedNonce = "abc" + "SERVERNONCE0123456789"

    /// A client-final for a client-first of "n,,n=user,r=abc" (or "y,," / "n,a=user," as
    /// `gs2Header` says), with the proof computed for it unless `proof` is given.
    @Test(arguments: [
        ("n,,", "c=biws,r=\(combinedNonce)", nil, true),
        ("y,,", "c=eSws,r=\(combinedNonce)", nil, true),
        ("n,a=user,", "c=bixhPXVzZXIs,r=\(combinedNonce)", nil, true),
        ("n,,", "c=biws,r=\(combinedNonce),x=ignored-extension", nil, true),
        ("y,,", "c=biws,r=\(combinedNonce)", nil, false),      // c= must repeat the header exactly
        ("n,,", "c=eSws,r=\(combinedNonce)", nil, false),
        ("n,,", "c=biws,r=abc", nil, false),                     // nonce must be the combined one
        ("n,,", "c=biws,r=\(combinedNonce)x", nil, false),
        ("n,,", "r=\(combinedNonce),c=biws", nil, false),        // order is fixed
        ("n,,", "c=biws,r=\(combinedNonce),m=x", nil, false),
        // A proof of the wrong length is well-formed (RFC 5802 §7: proof = "p=" base64) and
        // wrong: it counts as a failed login, like any wrong proof.
        ("n,,", "c=biws,r=\(combinedNonce)", "p=AAAA", false),
        ("n,,", "c=biws,r=\(combinedNonce)", "p=!!!!", false),
        ("n,,", "c=biws,r=\(combinedNonce)", "", false),
    ] as [(String, String, String?, Bool)])
    func clientFinalGrammar(gs2Header: String, withoutProof: String, proof: String?, accepted: Bool) {
        let password = "pencil"
        let credentials = SCRAMCredentials.derive(password: password, salt: Array("saltsaltsalt".utf8), iterations: 4096)!
        var exchange = SASLServerExchange(mechanism: .scramSHA256, serverNonce: "SERVERNONCE0123456789")
        let bare = "n=user,r=abc"
        #expect(exchange.start(initialResponse: b64(gs2Header + bare)) == .lookUpCredentials(username: "user"))
        let serverFirst = text(exchange.credentialsFound(credentials).challengeBytes)
        let computed = SCRAMTestClient(password: password).proof(
            salt: credentials.salt, iterations: 4096, authMessage: bare + "," + serverFirst + "," + withoutProof)
        let message = withoutProof + (proof.map { $0.isEmpty ? "" : "," + $0 } ?? ",p=" + Base64.encode(computed))
        let step = exchange.receive(b64(message))
        if accepted {
            guard case .proofVerified(let username, let serverFinal) = step else {
                Issue.record("\(message) refused: \(step)"); return
            }
            #expect(username == "user" && text(serverFinal).hasPrefix("v="))
        } else {
            let expected: SASLFailure = proof == "p=AAAA" ? .rejected : .malformed
            #expect(step == .failed(expected, username: "user"))
        }
    }

    @Test func cancelAndBadBase64NameTheUserOnceKnown() {
        var exchange = SASLServerExchange(mechanism: .scramSHA256)
        _ = exchange.start(initialResponse: b64("n,,n=user,r=abc"))
        _ = exchange.credentialsFound(RFC7677.credentials)
        #expect(exchange.receive(Array("*".utf8)) == .failed(.cancelled, username: "user"))

        var other = SASLServerExchange(mechanism: .scramSHA256)
        #expect(other.start(initialResponse: nil) == .challenge([]))
        #expect(other.receive(Array("bm,,".utf8)) == .failed(.notBase64, username: nil))
    }

    @Test func responseBeforeTheCredentialsArriveFails() {
        var exchange = SASLServerExchange(mechanism: .scramSHA256)
        _ = exchange.start(initialResponse: b64("n,,n=user,r=abc"))
        #expect(exchange.receive(b64("c=biws")) == .failed(.malformed, username: "user"))
        #expect(exchange.credentialsFound(RFC7677.credentials) == .failed(.malformed, username: "user"))
    }
}

extension SASLStep {
    var challengeBytes: [UInt8] {
        if case .challenge(let bytes) = self { return bytes }
        return []
    }
}
