import CCrypt
import Foundation

/// Salted slow password hashes through libcrypt, in a form Dovecot's passwd-file reads.
public enum PasswordHash {
    /// Shortest password accepted by `make`.
    static let minimumLength = 8

    /// The scheme tags Dovecot writes in front of crypt(3) strings that we
    /// accept on verification. Anything else (notably "{PLAIN}") is refused.
    static let acceptedSchemes = ["{CRYPT}", "{SHA512-CRYPT}", "{BLF-CRYPT}"]

    /// Verified against when the user does not exist, so that "no such user"
    /// costs as much as "wrong password". A yescrypt hash at libcrypt's default
    /// cost (j9T) of a random phrase nobody knows.
    static let dummyHash = "{CRYPT}$y$j9T$km/5S6TtyIeg1opQPmTwz/$iV2c.mnnEaZxhc4US0qOu3nuFTivlDTjNaiVeJES5n5"

    /// yescrypt: "{CRYPT}$y$...". Refuses empty passwords and passwords shorter
    /// than 8 characters with `DirectoryError.weakPassword`.
    public static func make(_ password: String) throws -> String {
        try checkAcceptable(password)
        let setting = try LibCrypt.makeSetting(prefix: "$y$")
        guard let hashed = LibCrypt.hash(password, setting: setting) else {
            throw POSIXError(.EINVAL)
        }
        return "{CRYPT}" + hashed
    }

    /// Accepts "{CRYPT}", "{SHA512-CRYPT}" and "{BLF-CRYPT}" prefixed crypt
    /// strings; compares the recomputed hash in constant time.
    public static func verify(_ password: String, against stored: String) -> Bool {
        guard let scheme = acceptedSchemes.first(where: { stored.hasPrefix($0) }) else { return false }
        let setting = String(stored.dropFirst(scheme.count))
        // A NUL would silently truncate the phrase handed to C.
        guard !setting.isEmpty, !password.utf8.contains(0) else { return false }
        guard let computed = LibCrypt.hash(password, setting: setting) else { return false }
        return constantTimeEquals(computed, setting)
    }

    /// Reasons never quote the password.
    private static func checkAcceptable(_ password: String) throws {
        if password.isEmpty {
            throw DirectoryError.weakPassword("the password is empty")
        }
        if password.count < minimumLength {
            throw DirectoryError.weakPassword("passwords must be at least \(minimumLength) characters long")
        }
        if password.utf8.contains(0) {
            throw DirectoryError.weakPassword("passwords must not contain NUL characters")
        }
        // libcrypt refuses longer phrases; say so instead of failing obscurely.
        if password.utf8.count >= Int(CRYPT_MAX_PASSPHRASE_SIZE) {
            throw DirectoryError.weakPassword("passwords must be shorter than \(CRYPT_MAX_PASSPHRASE_SIZE) bytes")
        }
    }
}
