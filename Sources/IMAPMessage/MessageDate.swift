import IMAPProtocol

/// Dates: the Date: field (RFC 5322 §3.3, obsolete forms of §4.3 tolerated) and INTERNALDATE.
enum MessageDate {
    /// `[day-of-week ","] day month year time zone` → the date as written (its own zone).
    static func date(from value: [UInt8]) -> IMAPDate? {
        // Words split on white space, commas and comments' parentheses are enough for the date.
        var words: [[UInt8]] = []
        var current: [UInt8] = []
        for byte in value.prefix(256) {
            if ASCII.isSpace(byte) || byte == 0x2C || byte == 0x28 || byte == 0x29 || byte == 0x2D {
                if !current.isEmpty { words.append(current); current = [] }
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty { words.append(current) }
        var index = 0
        if index < words.count, let first = words[index].first, !(0x30...0x39).contains(first) { index += 1 }
        guard index + 2 < words.count, let day = number(words[index]),
              let month = month(words[index + 1]), var year = number(words[index + 2]) else { return nil }
        // RFC 5322 §4.3: two-digit years below 50 are 20xx, others 19xx; three digits add 1900.
        if words[index + 2].count == 2 { year += year < 50 ? 2000 : 1900 } else if words[index + 2].count == 3 { year += 1900 }
        guard (1...31).contains(day), year <= 9999 else { return nil }
        return IMAPDate(year: year, month: month, day: day)
    }

    private static func number(_ word: [UInt8]) -> Int? {
        guard !word.isEmpty, word.count <= 4, word.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return word.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    private static func month(_ word: [UInt8]) -> Int? {
        guard word.count >= 3 else { return nil }
        let prefix = String(decoding: word.prefix(3).map(ASCII.lower), as: UTF8.self)
        let names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        return names.firstIndex(of: prefix).map { $0 + 1 }
    }

    /// Seconds since 1970 → the civil date and time in UTC (days-from-civil inverted,
    /// Howard Hinnant's algorithm).
    static func utc(_ seconds: Int) -> IMAPDateTime {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return IMAPDateTime(date: IMAPDate(year: min(max(year, 0), 9999), month: month, day: day),
                            hour: secondOfDay / 3600, minute: secondOfDay % 3600 / 60, second: secondOfDay % 60, zoneMinutes: 0)
    }
}
