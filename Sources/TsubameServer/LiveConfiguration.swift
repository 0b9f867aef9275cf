import NIOConcurrencyHelpers
import TsubameConfig

/// The running settings, held as one shared copy: every connection keeps a reference to the
/// copy current when it began (a copy of the whole configuration in each handler was about
/// 1.2 KB of every idle connection), and a reload (SIGHUP) swaps in a new copy that only later
/// connections see.
final class LiveConfiguration: Sendable {
    /// One immutable copy of the settings.
    final class Snapshot: Sendable {
        let settings: TsubameConfiguration

        init(_ settings: TsubameConfiguration) { self.settings = settings }
    }

    private let current: NIOLockedValueBox<Snapshot>

    init(_ settings: TsubameConfiguration) {
        current = NIOLockedValueBox(Snapshot(settings))
    }

    /// The settings as they are now (for a new connection, or one value): shared, never copied.
    var snapshot: Snapshot { current.withLockedValue { $0 } }

    /// Changes the settings under the lock (a reload); a change installs a new shared copy.
    func withLockedValue<Result>(_ body: (inout TsubameConfiguration) throws -> Result) rethrows -> Result {
        try current.withLockedValue { snapshot in
            var settings = snapshot.settings
            let result = try body(&settings)
            if settings != snapshot.settings { snapshot = Snapshot(settings) }
            return result
        }
    }
}
