#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Removes what delivery left in `tmp/` when it never finished (the server was killed while a
/// message arrived): the Maildir spec (cr.yp.to/proto/maildir.html) says a file in tmp/ that
/// has not been touched for 36 hours is garbage, and Dovecot cleans them the same way. Younger
/// files stay: another Maildir writer (an LDA) may be in the middle of a delivery.
public enum TemporaryFileSweep {
    public static let defaultAge: Double = 36 * 3600

    public struct Result: Equatable, Sendable {
        public var files = 0
        public var bytes = 0

        public init(files: Int = 0, bytes: Int = 0) {
            self.files = files
            self.bytes = bytes
        }
    }

    /// Sweeps every `mail/DOMAIN/USER/tmp` and `queue/tmp` under `dataDirectory`, removing regular
    /// files last modified before `now - age`. Blocking: run it on a storage thread.
    public static func run(dataDirectory: String, age: Double = defaultAge, now: Double = currentTime()) -> Result {
        var result = Result()
        let mailRoot = "\(dataDirectory)/mail"
        for domain in (try? DirectoryListing.names(in: mailRoot)) ?? [] where !domain.hasPrefix(".") {
            for user in (try? DirectoryListing.names(in: "\(mailRoot)/\(domain)")) ?? [] where !user.hasPrefix(".") {
                sweep("\(mailRoot)/\(domain)/\(user)/tmp", before: now - age, into: &result)
            }
        }
        sweep("\(dataDirectory)/queue/tmp", before: now - age, into: &result)
        return result
    }

    public static func currentTime() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private static func sweep(_ directory: String, before cutoff: Double, into result: inout Result) {
        guard let names = try? DirectoryListing.names(in: directory) else { return }
        for name in names {
            let path = "\(directory)/\(name)"
            var info = stat()
            // lstat: a symlink in tmp/ is removed as a link at most, never followed.
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            guard modified < cutoff, unlink(path) == 0 else { continue }
            result.files += 1
            result.bytes += Int(info.st_size)
        }
    }
}
