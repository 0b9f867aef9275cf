/// The `subscriptions` file in the Maildir root, in Dovecot's format (subscription-file.c).
///
/// Version 2, which we write: the header `V\t2\n\n`, then one mailbox per line with its
/// hierarchy levels separated by TAB (so the file does not depend on the separator), each
/// level in modified UTF-7 and tab-escaped (\001 → \0011, TAB → \001t, CR → \001r,
/// LF → \001n). A file without that header (version 1, older Dovecot and Courier) has one
/// name per line with "." between the levels; we read both.
public struct Subscriptions: Sendable, Equatable {
    public static let fileName = "subscriptions"
    static let header = "V\t2\n\n"

    /// In file order, without duplicates.
    public private(set) var names: [MailboxName]

    public init(names: [MailboxName] = []) {
        self.names = []
        for name in names { add(name) }
    }

    /// Lines that do not form a valid name are skipped (they could not be selected anyway).
    public init(parsing text: String) {
        self.init()
        var body = Substring(text)
        let version2 = body.hasPrefix(Self.header)
        if version2 { body = body.dropFirst(Self.header.count) }
        for line in body.split(separator: "\n", omittingEmptySubsequences: true) {
            let levels = version2
                ? line.split(separator: "\t", omittingEmptySubsequences: false).map { Self.tabUnescaped($0) }
                : line.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            var decoded: [String] = []
            for level in levels {
                guard let text = try? ModifiedUTF7.decode(level) else { decoded = []; break }
                decoded.append(text)
            }
            if let name = try? MailboxName(levels: decoded) { add(name) }
        }
    }

    public var text: String {
        Self.header + names.map { name in
            name.levels.map { Self.tabEscaped(ModifiedUTF7.encode($0)) }.joined(separator: "\t") + "\n"
        }.joined()
    }

    public func contains(_ name: MailboxName) -> Bool { names.contains(name) }

    public mutating func add(_ name: MailboxName) {
        if !names.contains(name) { names.append(name) }
    }

    public mutating func remove(_ name: MailboxName) {
        names.removeAll { $0 == name }
    }

    static func tabEscaped(_ text: String) -> String {
        var output = ""
        for character in text.unicodeScalars {
            switch character {
            case "\u{1}": output += "\u{1}1"
            case "\t": output += "\u{1}t"
            case "\r": output += "\u{1}r"
            case "\n": output += "\u{1}n"
            default: output.unicodeScalars.append(character)
            }
        }
        return output
    }

    static func tabUnescaped(_ text: Substring) -> String {
        var output = String.UnicodeScalarView()
        var escaped = false
        for character in text.unicodeScalars {
            if escaped {
                switch character {
                case "1": output.append("\u{1}")
                case "t": output.append("\t")
                case "r": output.append("\r")
                case "n": output.append("\n")
                default: output.append(character)
                }
                escaped = false
            } else if character == "\u{1}" {
                escaped = true
            } else {
                output.append(character)
            }
        }
        return String(output)
    }
}

extension Subscriptions {
    /// Dovecot's lock for this file goes stale after 30 s (SUBSCRIPTION_FILE_CHANGE_TIMEOUT).
    static let staleAfter = 30

    public static func read(root: String) throws -> Subscriptions {
        guard let text = try FileIO.readTextIfPresent("\(root)/\(fileName)") else { return Subscriptions() }
        return Subscriptions(parsing: text)
    }

    /// Reads, changes and replaces the file under its dotlock, as Dovecot's SUBSCRIBE does.
    public static func update(root: String, _ change: (inout Subscriptions) -> Void) throws {
        let path = "\(root)/\(fileName)"
        let lock = try DotLock.acquire(path: path, staleAfter: staleAfter)
        defer { lock.release() }
        var subscriptions = try read(root: root)
        let before = subscriptions
        change(&subscriptions)
        if subscriptions != before || !FileIO.exists(path) { try lock.replaceTarget(with: subscriptions.text) }
    }
}
