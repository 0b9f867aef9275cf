#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOPosix

/// The server's view of the SQLite directory: `RecipientDirectory` and `CredentialDirectory`
/// over `SQLiteAccountDirectory`, whose calls block a thread (GRDB, libcrypt). Each call runs
/// on a thread pool, never on an event loop or in the cooperative pool: lookups on
/// `lookupThreads`; `verifyPassword` (yescrypt, tens of milliseconds of CPU on purpose) on
/// `hashingThreads`, so a login flood never makes recipient lookups or SCRAM lookups wait
/// behind it. A backend with a native async client (postgres-nio) implements the protocols
/// directly instead.
///
/// The pools belong to the caller, who starts them before the first call and shuts them down
/// after the last; a call on a pool that is shut down throws.
public final class SQLiteServerDirectory: RecipientDirectory, CredentialDirectory, Sendable {
    public let directory: SQLiteAccountDirectory
    private let lookupThreads: NIOThreadPool
    private let hashingThreads: NIOThreadPool

    public init(directory: SQLiteAccountDirectory, lookupThreads: NIOThreadPool, hashingThreads: NIOThreadPool) {
        self.directory = directory
        self.lookupThreads = lookupThreads
        self.hashingThreads = hashingThreads
    }

    // MARK: - RecipientDirectory

    public func lookupRecipient(localPart: String, domain: String, recipientDelimiter: String?) async throws -> RecipientLookup {
        try await lookupThreads.runIfActive { [directory] in
            try directory.lookupRecipient(localPart: localPart, domain: domain, recipientDelimiter: recipientDelimiter)
        }
    }

    /// Every committed write, the CLI's included, appends to the -wal file (or, after a
    /// checkpoint, rewrites it and the main file): its size, time or inode moves. Two stats,
    /// no database call, so it can be read on an event loop.
    public func changeStamp() -> DirectoryChangeStamp? {
        var parts: [Int] = []
        parts.reserveCapacity(8)
        for path in [directory.path, directory.path + "-wal"] {
            var info = stat()
            if stat(path, &info) == 0 {
                // Not the ctime: SQLite, run as root, chowns the -wal file whenever it opens a
                // connection, which changes nothing in the directory.
                parts += [Int(info.st_ino), Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
            } else {
                guard errno == ENOENT else { return nil }
                parts += [0, 0, 0, 0]
            }
        }
        return DirectoryChangeStamp(parts)
    }

    public func isLocalDomain(_ domain: String) async throws -> Bool {
        try await lookupThreads.runIfActive { [directory] in try directory.isLocalDomain(domain) }
    }

    public func firstAddedDomain() async throws -> String? {
        try await lookupThreads.runIfActive { [directory] in try directory.firstAddedDomain() }
    }

    public func mayUseSender(account: MailboxAddress, address: String, recipientDelimiter: String?) async throws -> Bool {
        try await lookupThreads.runIfActive { [directory] in
            try directory.mayUseSender(account: account, address: address, recipientDelimiter: recipientDelimiter)
        }
    }

    // MARK: - CredentialDirectory

    public func verifyPassword(address: String, password: String) async throws -> MailboxAddress? {
        try await hashingThreads.runIfActive { [directory] in
            try directory.verifyPassword(address: address, password: password)
        }
    }

    /// One read and an HMAC: a lookup, on the lookup threads, never behind a login flood.
    public func verifyRememberedPassword(address: String, password: String) async throws -> MailboxAddress? {
        try await lookupThreads.runIfActive { [directory] in
            try directory.verifyRememberedPassword(address: address, password: password)
        }
    }

    /// HMACs and one read, no PBKDF2: a lookup, not a hash.
    public func scramCredentials(address: String) async throws -> SCRAMLookup {
        try await lookupThreads.runIfActive { [directory] in try directory.scramCredentials(address: address) }
    }
}
