import NIOCore
import Testing
@testable import SMTPProtocol

@Suite("Reply encoder")
struct ReplyEncoderTests {
    static let cases: [(SMTPReply, String)] = [
        (.greeting(hostname: "mx.example"), "220 mx.example ESMTP Tsubame\r\n"),
        (.unknownCommand, "500 5.5.1 Command unrecognized\r\n"),
        (.relayDenied, "554 5.7.1 Relay access denied\r\n"),
        (SMTPReply(250, nil, ["mx Hello x", "PIPELINING", "SIZE 10"]), "250-mx Hello x\r\n250-PIPELINING\r\n250 SIZE 10\r\n"),
        (SMTPReply(214, "2.0.0", ["a", "b"]), "214-2.0.0 a\r\n214 2.0.0 b\r\n"),
    ]

    @Test(arguments: cases)
    func encodes(reply: SMTPReply, wire: String) {
        var buffer = ByteBuffer()
        buffer.writeSMTPReply(reply)
        #expect(String(buffer: buffer) == wire)
    }

    @Test func everyErrorReplyHasAnEnhancedCode() {
        let replies: [SMTPReply] = [
            .unknownCommand, .lineTooLong, .bareLineEndingInCommand, .syntaxError("x"), .badSequence("x"),
            .unknownUser, .relayDenied, .tooManyRecipients, .messageTooBig, .bareLineEndingInMessage,
            .messageLineTooLong, .storageFailed, .tooManyErrors(hostname: "h"), .shuttingDown(hostname: "h"),
            .cannotVerify, .ok, .accepted(id: "x"),
        ]
        for reply in replies {
            #expect(reply.enhanced?.first == String(reply.code).first, "\(reply)")
        }
    }

    @Test func formatsRFC5322Dates() {
        #expect(RFC5322Date.format(secondsSince1970: 0) == "Thu, 1 Jan 1970 00:00:00 +0000")
        #expect(RFC5322Date.format(secondsSince1970: 1_795_980_049) == "Sun, 29 Nov 2026 19:20:49 +0000")
        #expect(RFC5322Date.format(secondsSince1970: 951_782_400) == "Tue, 29 Feb 2000 00:00:00 +0000")
    }
}
