#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOConcurrencyHelpers

/// One line per event on stderr, in the spirit of Postfix's maillog:
/// "2026-11-29T19:30:00Z info smtp: accepted id=... client=[...] ...", fields sorted by key and
/// escaped by `LogLine` so that a client's bytes can never forge a field or a line.
/// The level is shared and changes on SIGHUP.
public struct TsubameLogHandler: LogHandler {
    public static let level = NIOLockedValueBox<Logger.Level>(.info)
    private static let output = NIOLock()

    private let label: String
    public var metadata: Logger.Metadata = [:]

    public init(label: String) { self.label = label }

    public var logLevel: Logger.Level {
        get { Self.level.withLockedValue { $0 } }
        set { Self.level.withLockedValue { $0 = newValue } }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let line = LogLine(timestamp: Self.timestamp(), level: "\(event.level)", label: label,
                           message: "\(event.message)",
                           fields: merged.sorted(by: { $0.key < $1.key }).map { ($0.key, "\($0.value)") })
        let bytes = line.bytes
        Self.output.withLock {
            _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }

    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// Installs this handler for the whole process (once).
    public static func bootstrap(level: Logger.Level) {
        self.level.withLockedValue { $0 = level }
        LoggingSystem.bootstrap { TsubameLogHandler(label: $0) }
    }
}
