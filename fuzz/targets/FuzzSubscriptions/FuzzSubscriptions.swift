import FuzzSupport
import IMAPStore

/// `Subscriptions(parsing:)` on any `subscriptions` file (version 2 with tab-escaped levels,
/// or version 1 with "." between them): never traps; names are unique; the version-2 text it
/// writes parses back to the same names in the same order. Adding and removing a name the
/// fuzzer picks from the list behaves as a set.
func fuzzSubscriptions(_ input: FuzzInput) {
    var input = input
    let pick = Int(input.byte())
    let text = String(decoding: input.rest(), as: UTF8.self)
    var subscriptions = Subscriptions(parsing: text)
    precondition(Set(subscriptions.names).count == subscriptions.names.count, "duplicates: \(subscriptions.names)")
    let again = Subscriptions(parsing: subscriptions.text)
    precondition(again == subscriptions, "round trip: \(subscriptions.names) -> \(again.names)")
    guard !subscriptions.names.isEmpty else { return }
    let name = subscriptions.names[pick % subscriptions.names.count]
    subscriptions.add(name)
    precondition(subscriptions == again)
    subscriptions.remove(name)
    precondition(!subscriptions.contains(name) && subscriptions.names.count == again.names.count - 1)
    precondition(Subscriptions(parsing: subscriptions.text) == subscriptions)
}
