#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers

/// Unique Maildir file names and message ids.
///
/// Names follow the Maildir spec (cr.yp.to/proto/maildir.html) in Dovecot's form:
/// "<seconds>.M<microseconds>P<pid>Q<counter>.<host>" and, once the size is known,
/// ",S=<file size>,W=<size with CRLF line ends>" (Dovecot reads both without opening the file).
public struct MaildirName: Sendable, Hashable {
    public let base: String
    /// A short id for logs and the Received header, unique within this host.
    public let id: String

    private static let counter = NIOLockedValueBox<UInt64>(0)

    public static func make(hostname: String) -> MaildirName {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let count = counter.withLockedValue { value -> UInt64 in
            value &+= 1
            return value
        }
        let seconds = Int(now.tv_sec)
        let microseconds = Int(now.tv_nsec / 1000)
        let pid = Int(getpid())
        let base = "\(seconds).M\(microseconds)P\(pid)Q\(count).\(sanitizedHost(hostname))"
        let idNumber = UInt64(seconds) &* 1_000_000 &+ UInt64(microseconds)
        let id = String(idNumber, radix: 36, uppercase: true) + "Q" + String(count, radix: 36, uppercase: true)
            + "P" + String(pid, radix: 36, uppercase: true)
        return MaildirName(base: base, id: id)
    }

    /// The name in new/ with the sizes Dovecot understands.
    public func fileName(size: Int, virtualSize: Int) -> String {
        "\(base),S=\(size),W=\(virtualSize)"
    }

    /// "/" and ":" cannot appear in the host part (the spec's \057 and \072 replacement).
    static func sanitizedHost(_ host: String) -> String {
        host.replacingAll("/", with: "\\057").replacingAll(":", with: "\\072")
    }
}

extension String {
    func replacingAll(_ character: Character, with replacement: String) -> String {
        var result = ""
        for each in self {
            if each == character { result += replacement } else { result.append(each) }
        }
        return result
    }
}
