#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IMAPProtocol
import IMAPStore
@testable import IMAPMailbox
import NIOCore
import Testing

/// 100,000 messages: SELECT must not read a message file and FETCH 1:* FLAGS must stream.
/// Prints timings, asserts none (the machine is shared). Set TSUBAME_IMAP_SCALE=100000 to run
/// it at full size; by default it runs with 2,000 messages so it stays quick.
@Suite struct ScaleTests {
    static var count: Int {
        getenv("TSUBAME_IMAP_SCALE").flatMap { Int(String(cString: $0)) } ?? 2_000
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        try body()
        clock_gettime(CLOCK_MONOTONIC, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
    }

    @Test func largeMailboxOpensFromNamesAndStreamsFlags() throws {
        let maildir = TestMaildir()
        let count = Self.count
        for index in 0..<count {
            let name = "\(1_600_000_000 + index).M\(index)P1Q1.host,S=30,W=32" + (index % 3 == 0 ? ":2,S" : "")
            maildir.put((index % 3 == 0 ? "cur/" : "new/") + name, "Subject: number\n\nbody text\n")
        }
        // The first scan writes the uidlist (as Dovecot's first SELECT builds its index).
        _ = try MaildirMailbox(path: maildir.path, root: maildir.path).synchronize()
        // Make every file unreadable: SELECT and FETCH FLAGS must not need one.
        if getuid() != 0 { _ = system("chmod 000 '\(maildir.path)'/new/* '\(maildir.path)'/cur/*") }

        let store = IMAPMailStore(configuration: IMAPMailConfiguration())
        let session = try store.openAccount(maildir: maildir.path)
        var selectLines: [String] = []
        let select = try Self.seconds {
            selectLines = try TestClient(session).send("a SELECT INBOX")
        }
        #expect(selectLines.contains("* \(count) EXISTS"))

        var pieces = 0, octets = 0, largestPiece = 0
        let fetch = try Self.seconds {
            guard case .success(let command) = IMAPCommandParser.parse("b FETCH 1:* FLAGS") else { return }
            let run = session.start(command)
            var done = false
            while !done {
                var buffer = ByteBuffer()
                done = try run.writeNext(into: &buffer, budget: 64 * 1024)
                pieces += 1
                octets += buffer.readableBytes
                largestPiece = max(largestPiece, buffer.readableBytes)
            }
        }
        #expect(pieces > 1 || count < 1_000)
        #expect(largestPiece <= 64 * 1024)
        print("IMAPMailbox scale: \(count) messages: SELECT \(select) s, FETCH 1:* FLAGS \(fetch) s "
              + "(\(octets) octets in \(pieces) pieces)")
        if getuid() != 0 { _ = system("chmod 600 '\(maildir.path)'/new/* '\(maildir.path)'/cur/*") }
    }
}
