/// date = date-text / DQUOTE date-text DQUOTE; date-text = date-day "-" date-month "-" date-year
/// (RFC 3501 §9), as SEARCH uses it.
public struct IMAPDate: Equatable, Hashable, Sendable {
    public var year: Int
    /// 1...12
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `1-Feb-1994`; the year always has four digits (date-year = 4DIGIT): `1-Feb-0997`.
    public var text: String { "\(day)-\(IMAPDate.monthNames[month - 1])-\(yearText)" }

    var yearText: String {
        let digits = String(year)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
/// (RFC 3501 §9): INTERNALDATE and APPEND's date.
public struct IMAPDateTime: Equatable, Hashable, Sendable {
    public var date: IMAPDate
    public var hour: Int, minute: Int, second: Int
    /// Minutes east of UTC: `+0130` is 90.
    public var zoneMinutes: Int

    public init(date: IMAPDate, hour: Int, minute: Int, second: Int, zoneMinutes: Int) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
        self.zoneMinutes = zoneMinutes
    }

    /// `"17-Jul-1996 02:44:25 -0700"` without the quotes; the day is space-padded (date-day-fixed).
    public var text: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        // date-day-fixed = (SP DIGIT) / 2DIGIT: both are valid; Dovecot writes two digits.
        let day = two(date.day)
        let sign = zoneMinutes < 0 ? "-" : "+"
        let zone = abs(zoneMinutes)
        return "\(day)-\(IMAPDate.monthNames[date.month - 1])-\(date.yearText) \(two(hour)):\(two(minute)):\(two(second)) "
            + "\(sign)\(two(zone / 60))\(two(zone % 60))"
    }
}
