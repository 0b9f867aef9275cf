import Foundation
@testable import IMAPMailbox
import Testing

@Suite struct MessageFilesTests {
    @Test func headerEndsAfterTheFirstEmptyLine() {
        for (text, end) in [("a: b\n\nbody\n\nmore", 6), ("a: b\r\n\r\nbody", 8), ("\nbody", 1), ("\r\nbody", 2),
                            ("a: b\nc: d\n", nil), ("a: b\n\r\n", 7), ("", nil)] as [(String, Int?)] {
            #expect(MessageFiles.headerEnd(Array(text.utf8), from: 0) == end, "\(text.debugDescription)")
        }
    }

    /// The header is read in pieces; one spanning several pieces, or split between "\n" and
    /// "\n" at a piece's edge, is read whole and no further.
    @Test func readsTheHeaderAcrossPieces() throws {
        let directory = NSTemporaryDirectory() + "tsubame-header-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for headerLength in [10, 8_190, 8_191, 8_192, 8_193, 20_000] {
            let field = "X: " + String(repeating: "y", count: max(0, headerLength - 4)) + "\n"
            let header = Array(field.utf8) + [0x0A]
            let path = "\(directory)/m\(headerLength)"
            try Data(header + Array(String(repeating: "body\n", count: 5_000).utf8)).write(to: URL(fileURLWithPath: path))
            #expect(MessageFiles.readHeader(path: path) == header, "header of \(headerLength)")
        }
        let noBody = "\(directory)/nobody"
        try Data("A: b\nC: d\n".utf8).write(to: URL(fileURLWithPath: noBody))
        #expect(MessageFiles.readHeader(path: noBody) == Array("A: b\nC: d\n".utf8))
        #expect(MessageFiles.readHeader(path: "\(directory)/missing") == nil)
    }
}
