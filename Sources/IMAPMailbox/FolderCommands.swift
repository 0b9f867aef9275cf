#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IMAPProtocol
import IMAPStore
import MaildirStore

/// CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (RFC 3501 §6.3.3–§6.3.7) on the Maildir++
/// folders, with RFC 5530 response codes. The caller (the session, through the owners) makes
/// sure no owner keeps a deleted or renamed folder open. Blocking.
///
/// Answers follow Dovecot 2.3 (texts included), checked by FolderCommandsDovecotTests; where
/// Dovecot sends no response code we add the RFC 5530 one that fits.
enum FolderCommands {
    /// The tagged status of the command; `affected` lists folders whose owners must be dropped.
    struct Outcome: Equatable, Sendable {
        var status: IMAPStatus
        var affected: [MailboxName]
    }

    /// Trailing "." is dropped (RFC 3501 §6.3.3: it only declares the name a parent); Maildir++
    /// needs no parent directories, so none are made.
    static func create(_ name: IMAPMailboxName, root: String) -> Outcome {
        var bytes = name.bytes
        if bytes.count > 1, bytes.last == MailboxListing.separator { bytes.removeLast() }
        let parsed: MailboxName
        switch parse(IMAPMailboxName(bytes)) {
        case .failure(let refusal): return refusal
        case .success(let name): parsed = name
        }
        if parsed.isInbox { return no(.alreadyExists, "Mailbox already exists") }
        do {
            try MaildirFolders(root: root).create(parsed)
            return ok("Create completed")
        } catch MaildirFolders.Failure.alreadyExists {
            return no(.alreadyExists, "Mailbox already exists")
        } catch {
            return no(.serverBug, "Create failed: internal error")
        }
    }

    /// RFC 3501 §6.3.4: a folder with children becomes \Noselect (its messages go); INBOX
    /// cannot be deleted. Subscriptions stay (§6.3.4 and Dovecot).
    static func delete(_ name: IMAPMailboxName, root: String) -> Outcome {
        let parsed: MailboxName
        switch parse(name) {
        case .failure(let refusal): return refusal
        case .success(let name): parsed = name
        }
        if parsed.isInbox { return no(.cannot, "INBOX can't be deleted") }
        do {
            // In Maildir++ every folder is its own directory: deleting one leaves those below it,
            // and LIST then shows the name as a \Noselect parent.
            try MaildirFolders(root: root).delete(parsed)
            return Outcome(status: IMAPStatus(.ok, "Delete completed"), affected: [parsed])
        } catch MaildirFolders.Failure.notFound {
            return no(.nonexistent, "Mailbox doesn't exist: \(parsed.imapName)")
        } catch {
            return no(.serverBug, "Delete failed: internal error")
        }
    }

    /// RFC 3501 §6.3.5: renaming INBOX moves its messages to the new folder, INBOX stays.
    /// Folders below move along; subscriptions do not follow (as Dovecot).
    static func rename(_ old: IMAPMailboxName, to new: IMAPMailboxName, root: String) -> Outcome {
        let source: MailboxName, target: MailboxName
        switch parse(old) {
        case .failure(let refusal): return refusal
        case .success(let name): source = name
        }
        switch parse(new) {
        case .failure(let refusal): return refusal
        case .success(let name): target = name
        }
        let folders = MaildirFolders(root: root)
        if target.isInbox || folders.exists(target) { return no(.alreadyExists, "Target mailbox already exists") }
        if source.isInbox { return renameInbox(to: target, folders: folders) }
        do {
            let moved = try folders.list().filter { $0 == source || source.isAncestor(of: $0) }
            try folders.rename(source, to: target)
            return Outcome(status: IMAPStatus(.ok, "Rename completed"), affected: moved)
        } catch MaildirFolders.Failure.notFound {
            return no(.nonexistent, "Mailbox doesn't exist: \(source.imapName)")
        } catch MaildirFolders.Failure.alreadyExists {
            return no(.alreadyExists, "Target mailbox already exists")
        } catch MaildirFolders.Failure.intoItself {
            return no(.cannot, "Can't rename mailbox under its own child")
        } catch {
            return no(.serverBug, "Rename failed: internal error")
        }
    }

    /// Dovecot refuses to subscribe a name that does not exist (2.3: "Mailbox doesn't exist").
    static func subscribe(_ name: IMAPMailboxName, root: String) -> Outcome {
        let parsed: MailboxName
        switch parse(name) {
        case .failure(let refusal): return refusal
        case .success(let name): parsed = name
        }
        guard MaildirFolders(root: root).exists(parsed) else {
            return no(.nonexistent, "Mailbox doesn't exist: \(parsed.imapName)")
        }
        do {
            try Subscriptions.update(root: root) { $0.add(parsed) }
            return ok("Subscribe completed")
        } catch {
            return no(.serverBug, "Subscribe failed: internal error")
        }
    }

    /// Any name, subscribed or not, existing or not (RFC 3501 §6.3.7; Dovecot answers OK).
    static func unsubscribe(_ name: IMAPMailboxName, root: String) -> Outcome {
        let parsed: MailboxName
        switch parse(name) {
        case .failure(let refusal): return refusal
        case .success(let name): parsed = name
        }
        do {
            try Subscriptions.update(root: root) { $0.remove(parsed) }
            return ok("Unsubscribe completed")
        } catch {
            return no(.serverBug, "Unsubscribe failed: internal error")
        }
    }

    // MARK: Pieces

    /// The name checked, or the NO [CANNOT] that explains why it is not one.
    enum Parsed {
        case success(MailboxName)
        case failure(Outcome)
    }

    static func parse(_ name: IMAPMailboxName) -> Parsed {
        do throws(MailboxName.Invalid) {
            let parsed = try MailboxName(imap: String(decoding: name.bytes, as: UTF8.self))
            // Dovecot writes a folder below INBOX as "INBOX.x" whatever case the client used.
            if parsed.levels.count > 1, parsed.levels[0] != "INBOX", parsed.levels[0].uppercased() == "INBOX" {
                return .success(try MailboxName(levels: ["INBOX"] + parsed.levels.dropFirst()))
            }
            return .success(parsed)
        } catch {
            return .failure(no(.cannot, "Invalid mailbox name: \(reason(error))"))
        }
    }

    static func reason(_ invalid: MailboxName.Invalid) -> String {
        switch invalid {
        case .empty: "Name is empty"
        case .emptyLevel: "Has adjacent hierarchy separators or one at either end"
        case .forbiddenCharacter("~"): "Begins with '~'"
        case .forbiddenCharacter("/"): "Name must not have '/' characters"
        case .forbiddenCharacter: "Contains a control character"
        case .tooDeep: "Too many hierarchy levels (at most \(MailboxName.maximumLevels))"
        case .tooLong: "Hierarchy level too long (at most \(MailboxName.maximumLevelLength) octets)"
        case .modifiedUTF7: "Not valid modified UTF-7 (RFC 3501 §5.1.3)"
        }
    }

    /// §6.3.5: a new folder gets INBOX's messages; INBOX stays, empty. The files keep their
    /// names (and with them their flags; `dovecot-keywords` goes along for the keyword letters);
    /// the new folder numbers them at its first scan. INBOX's owner must rescan.
    private static func renameInbox(to target: MailboxName, folders: MaildirFolders) -> Outcome {
        do {
            try folders.create(target)
        } catch MaildirFolders.Failure.alreadyExists {
            return no(.alreadyExists, "Target mailbox already exists")
        } catch {
            return no(.serverBug, "Rename failed: internal error")
        }
        let inbox = folders.root
        let destination = folders.path(of: target)
        let keywords = "\(inbox)/dovecot-keywords"
        if let text = try? String(contentsOfFileAtPath: keywords) {
            _ = try? writeNewFile("\(destination)/dovecot-keywords", text)
        }
        var failed = false
        for sub in ["new", "cur"] {
            guard let names = try? DirectoryListing.names(in: "\(inbox)/\(sub)") else { failed = true; continue }
            for name in names where !name.hasPrefix(".") {
                if Glibc.rename("\(inbox)/\(sub)/\(name)", "\(destination)/\(sub)/\(name)") != 0 && errno != ENOENT {
                    failed = true
                }
            }
            for directory in ["\(inbox)/\(sub)", "\(destination)/\(sub)"] { syncDirectory(directory) }
        }
        if failed {
            return Outcome(status: IMAPStatus(.no, code: .serverBug, "Rename failed: some messages stayed in INBOX"),
                           affected: [.inbox])
        }
        return Outcome(status: IMAPStatus(.ok, "Rename completed"), affected: [.inbox])
    }

    private static func ok(_ text: String) -> Outcome {
        Outcome(status: IMAPStatus(.ok, text), affected: [])
    }

    private static func no(_ code: IMAPResponseCode, _ text: String) -> Outcome {
        Outcome(status: IMAPStatus(.no, code: code, text), affected: [])
    }

    private static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private static func writeNewFile(_ path: String, _ text: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        fsync(descriptor)
    }
}

extension String {
    /// A small text file (dovecot-keywords), at most 1 MiB; nil when missing or larger.
    fileprivate init?(contentsOfFileAtPath path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while bytes.count <= 1 << 20 {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        guard bytes.count <= 1 << 20 else { return nil }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
