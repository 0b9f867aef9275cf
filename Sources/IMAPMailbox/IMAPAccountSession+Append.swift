#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IMAPMessage
import IMAPProtocol
import IMAPStore
import MaildirStore

/// APPEND and MULTIAPPEND (RFC 3501 §6.3.11, RFC 3502): all messages or none.
extension IMAPAccountSession {
    func append(to wireName: IMAPMailboxName, _ messages: [IMAPAppendMessage], streamedLiterals: [String],
                tag: String) throws -> [IMAPResponse] {
        func refuse(_ code: IMAPResponseCode?, _ text: String) throws -> [IMAPResponse] {
            try updates(allowExpunge: true) + [.tagged(tag, IMAPStatus(.no, code: code, text))]
        }
        guard let name = existingMailbox(wireName) else {
            return try refuse(.tryCreate, "Mailbox doesn't exist: \(Self.text(wireName))")
        }
        let limit = store.configuration.appendLimit
        if messages.contains(where: { $0.data.size > limit }) {
            return try refuse(.tooBig, "Message too large (APPENDLIMIT \(limit)).")
        }
        let owner = store.acquire(name: name, root: maildir)
        defer { store.release(owner) }
        var prepared: [PreparedMessage] = []
        let now = Int(time(nil))
        do {
            for message in messages {
                let data: [UInt8]
                switch message.data {
                case .inline(let bytes):
                    data = bytes
                case .streamed(let index, _):
                    guard index >= 0, index < streamedLiterals.count,
                          let bytes = MessageFiles.read(path: streamedLiterals[index]) else {
                        throw OwnerWriteError.failed("streamed literal \(index) missing")
                    }
                    data = bytes
                }
                let stored = MessageLines.lf(data)
                let base = MaildirName.make(hostname: store.hostname).base
                let temporary = "\(owner.path)/tmp/\(base)"
                let date = message.internalDate.map(Self.seconds) ?? now
                try MessageFiles.write(stored, to: temporary, modified: date)
                var system = SystemFlagSet()
                var keywords: [String] = []
                for flag in message.flags {
                    switch flag {
                    case .answered: system.insert(.answered)
                    case .flagged: system.insert(.flagged)
                    case .deleted: system.insert(.deleted)
                    case .seen: system.insert(.seen)
                    case .draft: system.insert(.draft)
                    case .recent, .extension: continue
                    case .keyword(let keyword): keywords.append(keyword)
                    }
                }
                prepared.append(PreparedMessage(temporaryPath: temporary, baseName: base, fileSize: stored.count,
                                                virtualSize: MessageFiles.crlfSize(stored), system: system, keywords: keywords))
            }
            let uids = try owner.add(prepared)
            let uidValidity = owner.withState { $0.uidValidity }
            let code = IMAPResponseCode.appendUID(uidValidity: uidValidity, uids: MessageSets.compact(uids))
            return try updates(allowExpunge: true) + [.tagged(tag, IMAPStatus(.ok, code: code, "Append completed."))]
        } catch OwnerWriteError.tooManyKeywords {
            for message in prepared { unlink(message.temporaryPath) }
            return try refuse(.limit, "Too many keywords: a mailbox holds at most 26.")
        } catch {
            for message in prepared { unlink(message.temporaryPath) }
            if error is SelectedMailboxGone { return try refuse(.tryCreate, "Mailbox doesn't exist: \(Self.text(wireName))") }
            throw error
        }
    }

    /// An IMAP date-time as seconds since 1970 (days from the civil date, then the zone).
    static func seconds(_ dateTime: IMAPDateTime) -> Int {
        let year = dateTime.date.month <= 2 ? dateTime.date.year - 1 : dateTime.date.year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let month = dateTime.date.month
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + dateTime.date.day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + dateTime.hour * 3_600 + dateTime.minute * 60 + dateTime.second - dateTime.zoneMinutes * 60
    }
}
