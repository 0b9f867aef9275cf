import FuzzSupport
import IMAPStore

/// `UIDList(parsing:)` on any file content (a `dovecot-uidlist` another program wrote, or one
/// cut short by a crash): never traps; what it accepts has a non-zero UIDVALIDITY, records in
/// ascending unique UID order with a non-empty stem without "/" or ":", a next UID above every
/// record; and the text it writes parses back to the same header and records.
func fuzzUIDList(_ input: FuzzInput) {
    var input = input
    let text = String(decoding: input.rest(), as: UTF8.self)
    guard let list = try? UIDList(parsing: text) else { return }
    precondition(list.uidValidity != 0)
    var previous: UInt32 = 0
    for record in list.records {
        precondition(record.uid > previous, "UIDs not ascending: \(list.records.map(\.uid))")
        precondition(!record.fileStem.isEmpty && !record.fileStem.contains("/") && !record.fileStem.contains(":"),
                     "stem \(record.fileStem)")
        precondition(record.fields.allSatisfy { !$0.isEmpty && !$0.contains(" ") && !$0.contains("\n") })
        previous = record.uid
    }
    precondition(list.nextUID > previous || previous == UInt32.max, "next UID \(list.nextUID) after \(previous)")
    guard let again = try? UIDList(parsing: list.text) else { preconditionFailure("own text refused: \(list.text)") }
    precondition(again.uidValidity == list.uidValidity && again.nextUID == list.nextUID
                 && again.mailboxGUID == list.mailboxGUID && again.otherHeaderFields == list.otherHeaderFields,
                 "header changed: \(list.text)")
    precondition(again.records == list.records, "records changed: \(list.text)")
    precondition(!again.needsRewrite)
}
