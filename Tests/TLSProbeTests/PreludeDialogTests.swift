import NIOCore
import Testing
@testable import TLSProbe

@Suite("STARTTLS / STLS dialog before the handshake")
struct PreludeDialogTests {
    /// Feeds `chunks` in order; returns every action that is not `.wait`.
    func run(_ dialog: inout PreludeDialog, _ chunks: String...) throws -> [PreludeDialog.Action] {
        var actions: [PreludeDialog.Action] = []
        for chunk in chunks {
            let action = try dialog.receive(ByteBuffer(string: chunk))
            if action != .wait { actions.append(action) }
        }
        return actions
    }

    func error(_ dialog: inout PreludeDialog, _ chunks: String...) -> String? {
        for chunk in chunks {
            do {
                _ = try dialog.receive(ByteBuffer(string: chunk))
            } catch let error as PreludeError {
                return error.description
            } catch {
                return "unexpected \(error)"
            }
        }
        return nil
    }

    func smtp() -> PreludeDialog { PreludeDialog(protocol: .smtp, clientName: "[127.0.0.1]") }
    func pop3() -> PreludeDialog { PreludeDialog(protocol: .pop3, clientName: "[127.0.0.1]") }

    static let ehloWithStartTLS = "250-mx.example\r\n250-PIPELINING\r\n250-starttls\r\n250 SIZE 1000\r\n"

    @Test func smtpReadsMultiLineGreetingThenSendsEHLOAndSTARTTLS() throws {
        var dialog = smtp()
        let actions = try run(&dialog, "220-mx.example ESMTP\r\n220-more greeting\r\n", "220 ready\r\n",
                              Self.ehloWithStartTLS, "220 2.0.0 go ahead\r\n")
        #expect(actions == [.send("EHLO [127.0.0.1]"), .send("STARTTLS"), .startTLS])
    }

    @Test func smtpWaitsForAReplySplitAcrossReads() throws {
        var dialog = smtp()
        #expect(try dialog.receive(ByteBuffer(string: "22")) == .wait)
        #expect(try dialog.receive(ByteBuffer(string: "0 hi\r")) == .wait)
        #expect(try dialog.receive(ByteBuffer(string: "\n")) == .send("EHLO [127.0.0.1]"))
        #expect(try dialog.receive(ByteBuffer(string: "250-mx\r\n")) == .wait)
        #expect(try dialog.receive(ByteBuffer(string: "250 STARTTLS\r\n")) == .send("STARTTLS"))
    }

    @Test func smtpWithoutSTARTTLSFailsNamingTheExtensions() {
        var dialog = smtp()
        let message = error(&dialog, "220 mx\r\n", "250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
        #expect(message == "the server does not offer STARTTLS (its EHLO extensions: PIPELINING, 8BITMIME)")
    }

    @Test func smtpWithABareEHLOReplyOffersNothing() {
        var dialog = smtp()
        #expect(error(&dialog, "220 mx\r\n", "250 mx.example\r\n") == "the server does not offer STARTTLS (its EHLO extensions: none)")
    }

    @Test func smtpRefusedSTARTTLSQuotesTheReply() {
        var dialog = smtp()
        let message = error(&dialog, "220 mx\r\n", Self.ehloWithStartTLS, "454 4.7.0 TLS not available due to temporary reason\r\n")
        #expect(message == "the server refused STARTTLS: \"454 4.7.0 TLS not available due to temporary reason\"")
    }

    @Test func smtpRefusedGreetingIsReported() {
        var dialog = smtp()
        let message = error(&dialog, "554-no service\r\n554 go away\r\n")
        #expect(message == "the server did not greet with 220 (RFC 5321 §4.3.1): \"554-no service\" \"554 go away\"")
    }

    @Test func smtpRefusedEHLOIsReported() {
        var dialog = smtp()
        #expect(error(&dialog, "220 mx\r\n", "500 5.5.1 what\r\n") == "the server refused EHLO: \"500 5.5.1 what\"")
    }

    @Test func smtpRefusesDataAfterThe220ToSTARTTLS() {
        var dialog = smtp()
        let message = error(&dialog, "220 mx\r\n", Self.ehloWithStartTLS, "220 go ahead\r\n250 injected\r\n")
        #expect(message?.hasPrefix("the server sent data after agreeing to TLS") == true)
    }

    @Test func smtpRefusesAChangeOfCodeWithinAReply() {
        var dialog = smtp()
        #expect(error(&dialog, "220-mx\r\n250 other\r\n")?.hasPrefix("the server changed the reply code within one reply (220, then 250)") == true)
    }

    @Test func smtpRefusesGarbage() {
        var dialog = smtp()
        #expect(error(&dialog, "SSH-2.0-OpenSSH_9.6\r\n")
            == "the server sent a malformed SMTP reply line while sending the SMTP greeting: \"SSH-2.0-OpenSSH_9.6\"")
    }

    @Test func smtpEscapesControlCharactersInQuotes() {
        var dialog = smtp()
        #expect(error(&dialog, "22\u{1B}[31m\r\n") == "the server sent a malformed SMTP reply line while sending the SMTP greeting: \"22\\u{1b}[31m\"")
    }

    @Test func refusesAnOverLongLine() {
        var dialog = smtp()
        let long = "220 " + String(repeating: "x", count: PreludeDialog.maximumLineLength)
        #expect(error(&dialog, long)
            == "the server sent a line longer than \(PreludeDialog.maximumLineLength) octets while sending the SMTP greeting")
    }

    @Test func refusesAnOverLongLineArrivingInPieces() {
        var dialog = pop3()
        let piece = String(repeating: "x", count: PreludeDialog.maximumLineLength / 2)
        #expect(error(&dialog, "+OK " + piece, piece) != nil)
    }

    @Test func refusesAnEndlessMultiLineReply() {
        var dialog = smtp()
        let lines = String(repeating: "220-more\r\n", count: PreludeDialog.maximumReplyLines + 1)
        #expect(error(&dialog, lines) == "the server's reply (the SMTP greeting) has more than \(PreludeDialog.maximumReplyLines) lines")
    }

    @Test func refusesABareLineFeed() {
        var dialog = smtp()
        #expect(error(&dialog, "220 mx\n")?.hasPrefix("the server ended a line with a bare LF or CR") == true)
    }

    @Test func pop3SendsSTLSAfterTheGreeting() throws {
        var dialog = pop3()
        #expect(try run(&dialog, "+OK POP3 ready <1.2@mx>\r\n", "+OK Begin TLS negotiation\r\n") == [.send("STLS"), .startTLS])
    }

    @Test func pop3RefusedSTLSQuotesTheReply() {
        var dialog = pop3()
        #expect(error(&dialog, "+OK hi\r\n", "-ERR command not permitted\r\n") == "the server refused STLS: \"-ERR command not permitted\"")
    }

    @Test func pop3GreetingMustBeOK() {
        var dialog = pop3()
        #expect(error(&dialog, "-ERR busy\r\n") == "the server's POP3 greeting is not +OK: \"-ERR busy\"")
        var other = pop3()
        #expect(error(&other, "+OKAY\r\n") == "the server's POP3 greeting is not +OK: \"+OKAY\"")
    }

    @Test func pop3RefusesDataAfterTheOKToSTLS() {
        var dialog = pop3()
        #expect(error(&dialog, "+OK\r\n", "+OK go\r\n+OK more\r\n")?.hasPrefix("the server sent data after agreeing to TLS") == true)
    }

    @Test func waitingForNamesTheStep() throws {
        var dialog = smtp()
        #expect(dialog.waitingFor == "the SMTP greeting")
        _ = try dialog.receive(ByteBuffer(string: "220 mx\r\n"))
        #expect(dialog.waitingFor == "the reply to EHLO")
    }
}

@Suite("HOST:PORT targets")
struct ProbeTargetTests {
    @Test(arguments: [
        ("mx.example:25", "mx.example", 25),
        ("127.0.0.1:2525", "127.0.0.1", 2525),
        ("[::1]:995", "::1", 995),
        ("[2001:db8::1]:465", "2001:db8::1", 465),
    ])
    func parses(text: String, host: String, port: Int) {
        #expect(ProbeTarget(parsing: text) == ProbeTarget(host: host, port: port))
        #expect(ProbeTarget(parsing: text)?.description == text)
    }

    @Test(arguments: ["server-chain.pem", "tls/server.pem", "mx.example", ":25", "mx.example:", "mx.example:0",
                      "mx.example:65536", "mx.example:2x", "::1:25", "[::1]995", "[mx.example]:25", "a b:25", "/tmp/x:25"])
    func refuses(text: String) {
        #expect(ProbeTarget(parsing: text) == nil)
    }

    @Test func knowsIPLiteralsWhichNeverGoIntoSNI() {
        #expect(ProbeTarget(host: "127.0.0.1", port: 1).isIPAddress)
        #expect(ProbeTarget(host: "::1", port: 1).isIPAddress)
        #expect(!ProbeTarget(host: "mx.example", port: 1).isIPAddress)
    }
}
