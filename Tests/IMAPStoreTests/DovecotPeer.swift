import DovecotPeers
import Foundation

/// Dovecot over a pipe (the shared DovecotPeers support target).
typealias DovecotPeer = PreauthenticatedDovecot

/// Pieces of Dovecot's answers.
enum IMAPAnswer {
    /// `* LIST (...) "." NAME` → NAME, for LIST or LSUB.
    static func names(_ output: String, kind: String) -> [String] {
        lines(output).compactMap { line in
            guard line.hasPrefix("* \(kind) ") else { return nil }
            guard let separator = line.range(of: "\".\" ") else { return nil }
            var name = String(line[separator.upperBound...])
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
            return name
        }
    }

    /// `* OK [UIDVALIDITY n]` of the SELECT.
    static func uidValidity(_ output: String) -> UInt32? {
        for line in lines(output) {
            if let range = line.range(of: "[UIDVALIDITY ") {
                return UInt32(line[range.upperBound...].prefix { $0.isNumber })
            }
        }
        return nil
    }

    /// `* n FETCH (UID u FLAGS (a b))` → u: [a, b], sorted.
    static func flagsByUID(_ output: String) -> [UInt32: [String]] {
        var result: [UInt32: [String]] = [:]
        for line in lines(output) where line.hasPrefix("* ") && line.contains(" FETCH (") {
            guard let uidRange = line.range(of: "UID "), let flagsRange = line.range(of: "FLAGS (") else { continue }
            let uid = UInt32(line[uidRange.upperBound...].prefix { $0.isNumber })
            let flags = line[flagsRange.upperBound...].prefix { $0 != ")" }
                .split(separator: " ").map(String.init).filter { $0 != "\\Recent" }.sorted()
            if let uid { result[uid] = flags }
        }
        return result
    }

    /// `* STATUS name (UIDNEXT n UIDVALIDITY v)` → (v, n).
    static func status(_ output: String) -> (uidValidity: UInt32, uidNext: UInt32)? {
        for line in lines(output) where line.hasPrefix("* STATUS ") {
            func number(_ key: String) -> UInt32? {
                line.range(of: "\(key) ").flatMap { UInt32(line[$0.upperBound...].prefix { $0.isNumber }) }
            }
            if let validity = number("UIDVALIDITY"), let next = number("UIDNEXT") { return (validity, next) }
        }
        return nil
    }

    /// `[APPENDUID v u]` of an APPEND.
    static func appendUID(_ output: String) -> UInt32? {
        for line in lines(output) {
            if let range = line.range(of: "[APPENDUID ") {
                let fields = line[range.upperBound...].prefix { $0 != "]" }.split(separator: " ")
                if fields.count == 2 { return UInt32(fields[1]) }
            }
        }
        return nil
    }

    /// POP3 `UIDL` listing lines `n uidl` → [uidl] in message order (the only answer here
    /// whose lines start with a number).
    static func uidls(_ output: String) -> [String] {
        lines(output).compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 2, fields[0].allSatisfy(\.isNumber) else { return nil }
            return String(fields[1])
        }
    }

    static func lines(_ output: String) -> [String] {
        // "\r\n" is one Character in Swift: split on both.
        output.split { $0 == "\n" || $0 == "\r\n" }.map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
    }
}
