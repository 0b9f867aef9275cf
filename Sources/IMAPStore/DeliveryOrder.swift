/// Dovecot's order for new files (maildir_filename_sort_cmp): the seconds at the start of the
/// name, then the microseconds after "M", then the name.
enum DeliveryOrder {
    static func precedes(_ left: String, _ right: String) -> Bool {
        let a = key(left), b = key(right)
        return a.seconds != b.seconds ? a.seconds < b.seconds
            : a.microseconds != b.microseconds ? a.microseconds < b.microseconds : left < right
    }

    /// Sorted with each name's key computed once.
    static func sorted(_ names: [String]) -> [String] {
        names.map { (key: key($0), name: $0) }
            .sorted { $0.key != $1.key ? $0.key < $1.key : $0.name < $1.name }
            .map(\.name)
    }

    static func key(_ name: String) -> (seconds: Int, microseconds: Int) {
        let digits = name.prefix { $0.isASCII && $0.isNumber }
        let seconds = Int(digits) ?? 0
        var microseconds = 0
        let rest = name.dropFirst(digits.count)
        if rest.first == ".", let unique = rest.dropFirst().split(separator: ".", maxSplits: 1).first,
           let m = unique.firstIndex(of: "M") {
            microseconds = Int(unique[unique.index(after: m)...].prefix { $0.isASCII && $0.isNumber }) ?? 0
        }
        return (seconds, microseconds)
    }

    /// `,W=123` or `,S=123` in a file name (maildir_filename_get_size).
    static func sizeField(_ key: Character, in name: String) -> Int? {
        guard let key = key.asciiValue else { return nil }
        let stem = MaildirFlags.stem(of: name).utf8
        var index = stem.startIndex
        while let comma = stem[index...].firstIndex(of: UInt8(ascii: ",")) {
            let field = stem[stem.index(after: comma)...]
            index = stem.index(after: comma)
            guard field.count >= 2, field.first == key, field.dropFirst().first == UInt8(ascii: "=") else { continue }
            var value = 0
            var digits = 0
            for byte in field.dropFirst(2) {
                if byte == UInt8(ascii: ",") { break }
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte), digits < 18 else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
            }
            return digits > 0 ? value : nil
        }
        return nil
    }
}
