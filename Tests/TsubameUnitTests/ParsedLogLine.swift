/// A strict reader of the lines `LogLine` writes, independent of its code, for round trips:
/// "TIMESTAMP LEVEL LABEL: MESSAGE key=value key="quoted value" ...\n".
/// Values come back as bytes, since `\xNN` stands for one byte. nil for anything malformed.
struct ParsedLogLine: Equatable {
    var timestamp: String
    var level: String
    var label: String
    var message: [UInt8]
    var fields: [Field]

    struct Field: Equatable {
        var key: String
        var value: [UInt8]
    }

    var keys: [String] { fields.map(\.key) }

    func value(_ key: String) -> [UInt8]? { fields.first { $0.key == key }?.value }

    init?(_ line: [UInt8]) {
        // One line, nothing raw that a terminal acts on.
        guard line.last == UInt8(ascii: "\n"),
              !line.dropLast().contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return nil }
        var rest = ArraySlice(line.dropLast())
        guard let timestamp = Self.word(&rest), let level = Self.word(&rest),
              let colon = rest.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        self.timestamp = timestamp
        self.level = level
        label = String(decoding: rest[..<colon], as: UTF8.self)
        rest = rest[(colon + 1)...]
        if rest.first == UInt8(ascii: " ") { rest = rest.dropFirst() }
        // The message holds no "=": the first one belongs to the first key.
        var messageEnd = rest.endIndex
        if let equals = rest.firstIndex(of: UInt8(ascii: "=")) {
            messageEnd = rest[..<equals].lastIndex(of: UInt8(ascii: " ")) ?? rest.startIndex
        }
        guard let message = Self.unescapeMessage(rest[..<messageEnd]) else { return nil }
        self.message = message
        rest = rest[messageEnd...]
        fields = []
        while !rest.isEmpty {
            // Fields are separated by one space; the first follows the message's.
            if rest.first == UInt8(ascii: " ") {
                rest = rest.dropFirst()
            } else if !fields.isEmpty {
                return nil
            }
            guard let equals = rest.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let key = rest[..<equals]
            guard !key.isEmpty, key.allSatisfy(Self.isKeyByte) else { return nil }
            rest = rest[(equals + 1)...]
            guard let value = Self.value(&rest) else { return nil }
            fields.append(Field(key: String(decoding: key, as: UTF8.self), value: value))
        }
    }

    private static func word(_ rest: inout ArraySlice<UInt8>) -> String? {
        guard let space = rest.firstIndex(of: UInt8(ascii: " ")), space > rest.startIndex else { return nil }
        defer { rest = rest[(space + 1)...] }
        return String(decoding: rest[..<space], as: UTF8.self)
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || Array("-_.".utf8).contains(byte)
    }

    private static let bare = Set(Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:@/+<>[],*%!#$&'()?^{|}~".utf8))

    /// A bare value up to the next space, or a quoted one with \" \\ \xNN.
    private static func value(_ rest: inout ArraySlice<UInt8>) -> [UInt8]? {
        guard rest.first == UInt8(ascii: "\"") else {
            let end = rest.firstIndex(of: UInt8(ascii: " ")) ?? rest.endIndex
            let value = Array(rest[..<end])
            guard !value.isEmpty, value.allSatisfy(bare.contains) else { return nil }
            rest = rest[end...]
            return value
        }
        rest = rest.dropFirst()
        var value: [UInt8] = []
        while let byte = rest.popFirst() {
            switch byte {
            case UInt8(ascii: "\""):
                guard rest.isEmpty || rest.first == UInt8(ascii: " ") else { return nil }
                return value
            case UInt8(ascii: "\\"):
                guard let unescaped = unescape(&rest, allowed: [UInt8(ascii: "\""), UInt8(ascii: "\\")]) else {
                    return nil
                }
                value.append(unescaped)
            default:
                value.append(byte)
            }
        }
        return nil  // unterminated
    }

    private static func unescapeMessage(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var rest = text
        var message: [UInt8] = []
        while let byte = rest.popFirst() {
            guard byte != UInt8(ascii: "\"") else { return nil }
            if byte == UInt8(ascii: "\\") {
                guard let unescaped = unescape(&rest, allowed: [UInt8(ascii: "\\")]) else { return nil }
                message.append(unescaped)
            } else {
                message.append(byte)
            }
        }
        return message
    }

    /// After a backslash: one of `allowed`, or xNN.
    private static func unescape(_ rest: inout ArraySlice<UInt8>, allowed: [UInt8]) -> UInt8? {
        guard let next = rest.popFirst() else { return nil }
        if allowed.contains(next) { return next }
        let hex = Array("0123456789ABCDEF".utf8)
        guard next == UInt8(ascii: "x"), rest.count >= 2, let high = hex.firstIndex(of: rest[rest.startIndex]),
              let low = hex.firstIndex(of: rest[rest.startIndex + 1]) else { return nil }
        let value = UInt8(high * 16 + low)
        rest = rest.dropFirst(2)
        return value
    }
}
