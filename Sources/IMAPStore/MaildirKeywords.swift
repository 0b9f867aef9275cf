/// A folder's `dovecot-keywords`: which IMAP keyword each file-name letter `a`–`z` stands for.
///
/// One line per keyword, `<index> <name>` (`0 $Label1`), index 0–25 (maildir-keywords.c).
/// Dovecot looks names up case-insensitively, skips lines it cannot read, and replaces the
/// file by rename under the dotlock `dovecot-keywords.lock` while holding the uidlist lock.
public struct MaildirKeywords: Sendable, Equatable {
    public static let fileName = "dovecot-keywords"

    /// Index → name; nil where no keyword is defined.
    public private(set) var names: [String?]

    public init() { names = Array(repeating: nil, count: MaildirFlags.maximumKeywords) }

    public init(names: [String]) {
        self.init()
        for (index, name) in names.prefix(MaildirFlags.maximumKeywords).enumerated() { self.names[index] = name }
    }

    /// Parses the file's text; lines that are not `<0–25> <name>` are skipped, as Dovecot does.
    public init(parsing text: String) {
        self.init()
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let space = line.firstIndex(of: " "),
                  let index = Int(line[..<space]), (0..<MaildirFlags.maximumKeywords).contains(index) else { continue }
            let name = line[line.index(after: space)...]
            if !name.isEmpty, Self.isValidName(name) { names[index] = String(name) }
        }
    }

    public var text: String {
        names.enumerated().compactMap { index, name in name.map { "\(index) \($0)\n" } }.joined()
    }

    public var isEmpty: Bool { names.allSatisfy { $0 == nil } }

    /// The letter's index for a keyword (case-insensitive, RFC 3501 §2.3.2 keywords are atoms).
    public func index(of keyword: String) -> Int? {
        let lowered = keyword.lowercased()
        return names.firstIndex { $0?.lowercased() == lowered }
    }

    public func name(at index: Int) -> String? {
        (0..<names.count).contains(index) ? names[index] : nil
    }

    /// The index of `keyword`, adding it in the first free slot; nil when all 26 are taken
    /// (then the keyword cannot be stored in file names, as in Dovecot).
    public mutating func indexAdding(_ keyword: String) -> Int? {
        if let existing = index(of: keyword) { return existing }
        guard Self.isValidName(Substring(keyword)), let free = names.firstIndex(where: { $0 == nil }) else { return nil }
        names[free] = keyword
        return free
    }

    /// IMAP keywords are atoms (RFC 3501 §9 flag-keyword): no space, no control characters,
    /// none of `(){%*"\]`, and not a system flag.
    public static func isValidName<S: StringProtocol>(_ name: S) -> Bool {
        !name.isEmpty && !name.hasPrefix("\\") && name.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && !"(){%*\"\\]".utf8.contains(byte)
        }
    }

    /// The keyword names a file's flags carry; letters without a defined name are left out.
    public func keywordNames(of flags: MaildirFlags) -> [String] {
        flags.keywords.sorted().compactMap { name(at: $0) }
    }
}

extension MaildirKeywords {
    /// Reads `dovecot-keywords` in `folder`; an absent file means no keywords.
    public static func read(folder: String) throws -> MaildirKeywords {
        guard let text = try FileIO.readTextIfPresent("\(folder)/\(fileName)") else { return MaildirKeywords() }
        return MaildirKeywords(parsing: text)
    }

    /// Replaces `dovecot-keywords` by rename under its own dotlock, as Dovecot does. The caller
    /// holds the uidlist lock (Dovecot relies on it and takes this one only briefly).
    public func write(folder: String) throws {
        let path = "\(folder)/\(Self.fileName)"
        let lock = try DotLock.acquire(path: path)
        defer { lock.release() }
        try lock.replaceTarget(with: text)
    }
}
