import IMAPProtocol
import IMAPStore

/// LIST and LSUB over a user's Maildir++ folders and subscriptions: RFC 3501 §6.3.8/§6.3.9
/// patterns (`*`, `%`, the reference), LIST-EXTENDED selection and return options (RFC 5258),
/// SPECIAL-USE attributes (RFC 6154), CHILDREN (RFC 3348), LIST-STATUS (RFC 5819).
/// Blocking: reads directories.
///
/// Which attributes appear follows Dovecot 2.3 (checked by MailboxListingDovecotTests):
/// a basic LIST carries \HasChildren/\HasNoChildren and the special-use attribute; an extended
/// LIST only what its RETURN options ask for (RETURN () gives bare names). A missing parent of
/// an existing folder (Maildir++ needs none) is \Noselect in a basic LIST, \NonExistent in an
/// extended one (RFC 5258 §3). \Marked/\UnMarked are never sent (Dovecot sends them only from
/// its index, inconsistently).
struct MailboxListing {
    let root: String

    init(root: String) {
        self.root = root
    }

    /// A LIST the server must answer with a tagged BAD (RFC 5258 §3: RECURSIVEMATCH alone, or
    /// an option we do not know).
    struct Refusal: Error, Equatable {
        var status: IMAPStatus
    }

    static let separator = UInt8(ascii: ".")

    /// The untagged LIST (and, for RETURN (STATUS …), STATUS) responses in order. `status`
    /// answers STATUS for a selectable mailbox (nil leaves it out, as for a vanished one).
    /// Throws `Refusal` for a command to answer BAD.
    func list(_ command: IMAPListCommand,
              status: (MailboxName, [IMAPStatusAttribute]) throws -> [IMAPStatusValue]?) throws -> [IMAPResponse] {
        let options = try Options(command)
        // RFC 3501 §6.3.8: an empty pattern asks for the separator and the reference's root.
        if command.patterns.count == 1, command.patterns[0].isEmpty {
            let root = command.reference.bytes.firstIndex(of: Self.separator).map { Array(command.reference.bytes[...$0]) } ?? []
            return [.untagged(.list(IMAPListItem(attributes: ["\\Noselect"], delimiter: Self.separator, name: IMAPMailboxName(root))))]
        }
        let patterns = command.patterns.map { ListPattern(reference: command.reference.bytes, pattern: $0) }
        func matches(_ name: MailboxName) -> Bool {
            let wire = Array(name.imapName.utf8)
            return patterns.contains { $0.matches(wire, inbox: name.isInbox) }
        }

        let existing = Set(try MaildirFolders(root: root).list())
        let subscriptions = options.needsSubscriptions ? try Subscriptions.read(root: root).names : []
        let subscribed = Set(subscriptions)
        let tree = FolderTree(existing: existing)

        // The names the selection picks, in the order answered: INBOX, then by name.
        var selected: [MailboxName] = []
        var childInfo = Set<MailboxName>()
        if options.selectSubscribed {
            selected = subscriptions.filter(matches)
            if options.recursiveMatch {
                // RFC 5258 §3.5, as Dovecot reads it: a listed (subscribed, matching) name with
                // any subscribed descendant gets CHILDINFO; an unsubscribed matching name is
                // listed with CHILDINFO only for a subscribed descendant the pattern does not reach.
                for name in subscriptions {
                    for ancestor in Self.ancestors(of: name) where matches(ancestor) {
                        if subscribed.contains(ancestor) || !matches(name) { childInfo.insert(ancestor) }
                    }
                }
                selected += childInfo.filter { !subscribed.contains($0) }
            }
        } else {
            selected = tree.all.filter(matches)
        }
        if options.selectSpecialUse {
            selected = selected.filter { existing.contains($0) && MaildirFolders.specialUseAttribute(of: $0) != nil }
        }
        selected = Self.ordered(Set(selected))

        var responses: [IMAPResponse] = []
        for name in selected {
            let exists = existing.contains(name)
            var attributes: [String] = []
            if options.returnSubscribed && subscribed.contains(name) { attributes.append("\\Subscribed") }
            if !exists { attributes.append(options.extended ? "\\NonExistent" : "\\Noselect") }
            if options.returnChildren {
                // With SUBSCRIBED selection Dovecot also counts subscribed names below (its
                // listing walks the subscription tree): `Z` of a subscribed `Z.Y` has children.
                let hasChildren = tree.hasChildren(name) || (options.selectSubscribed && subscriptions.contains { name.isAncestor(of: $0) })
                attributes.append(hasChildren ? "\\HasChildren" : "\\HasNoChildren")
            }
            if options.returnSpecialUse, exists, let special = MaildirFolders.specialUseAttribute(of: name) {
                attributes.append(special)
            }
            let wireName = IMAPMailboxName(name.imapName)
            responses.append(.untagged(.list(IMAPListItem(attributes: attributes, delimiter: Self.separator, name: wireName,
                                                          childInfoSubscribed: childInfo.contains(name)))))
            // RFC 5819: STATUS right after the LIST of each selectable mailbox.
            if let statusItems = options.status, exists, let values = try status(name, statusItems) {
                responses.append(.untagged(.mailboxStatus(wireName, values)))
            }
        }
        return responses
    }

    /// The untagged LSUB responses (RFC 3501 §6.3.9).
    func lsub(reference: IMAPMailboxName, pattern: [UInt8]) throws -> [IMAPResponse] {
        if pattern.isEmpty {
            // As LIST's empty pattern; Dovecot answers LSUB "" "" with nothing.
            return []
        }
        let listPattern = ListPattern(reference: reference.bytes, pattern: pattern)
        func matches(_ name: MailboxName) -> Bool { listPattern.matches(Array(name.imapName.utf8), inbox: name.isInbox) }
        let subscriptions = try Subscriptions.read(root: root).names
        let subscribed = Set(subscriptions)
        var unsubscribedParents = Set<MailboxName>()
        // §6.3.9: with "%", a subscribed "foo.bar" whose "foo" is not subscribed shows "foo"
        // as \Noselect — any parent the pattern reaches when the subscribed name it is not.
        for name in subscriptions where !matches(name) {
            for ancestor in Self.ancestors(of: name) where !subscribed.contains(ancestor) && matches(ancestor) {
                unsubscribedParents.insert(ancestor)
            }
        }
        let names = Self.ordered(Set(subscriptions.filter(matches)).union(unsubscribedParents))
        return names.map { name in
            var attributes: [String] = []
            if unsubscribedParents.contains(name) { attributes.append("\\Noselect") }
            // Dovecot puts the special-use attribute in LSUB too.
            if let special = MaildirFolders.specialUseAttribute(of: name) { attributes.append(special) }
            return .untagged(.lsub(IMAPListItem(attributes: attributes, delimiter: Self.separator,
                                                name: IMAPMailboxName(name.imapName))))
        }
    }

    /// "A", "A.B" for "A.B.C".
    static func ancestors(of name: MailboxName) -> [MailboxName] {
        guard name.levels.count > 1 else { return [] }
        return (1..<name.levels.count).compactMap { try? MailboxName(levels: Array(name.levels.prefix($0))) }
    }

    /// INBOX first, then by levels.
    static func ordered(_ names: Set<MailboxName>) -> [MailboxName] {
        names.sorted { $0.isInbox != $1.isInbox ? $0.isInbox : $0 < $1 }
    }
}

/// The folders that exist and the missing parents they imply.
private struct FolderTree {
    /// Existing folders and every ancestor of one, ordered.
    let all: [MailboxName]
    private let parents: Set<MailboxName>

    init(existing: Set<MailboxName>) {
        var parents = Set<MailboxName>()
        for name in existing {
            for ancestor in MailboxListing.ancestors(of: name) { parents.insert(ancestor) }
        }
        self.parents = parents
        all = MailboxListing.ordered(existing.union(parents))
    }

    /// RFC 3348: any folder below, existing or implied (an implied one has an existing one below).
    func hasChildren(_ name: MailboxName) -> Bool { parents.contains(name) }
}

/// What a LIST asks for, settled once (RFC 5258 §3, §6; RFC 6154 §3; RFC 5819).
private struct Options {
    var extended: Bool
    var selectSubscribed = false
    var selectSpecialUse = false
    var recursiveMatch = false
    var returnSubscribed = false
    var returnChildren = false
    var returnSpecialUse = false
    var status: [IMAPStatusAttribute]?

    var needsSubscriptions: Bool { selectSubscribed || returnSubscribed }

    init(_ command: IMAPListCommand) throws(MailboxListing.Refusal) {
        extended = !command.isBasic
        for option in command.selectionOptions {
            switch option {
            case .subscribed: selectSubscribed = true
            case .specialUse: selectSpecialUse = true
            case .recursiveMatch: recursiveMatch = true
            case .remote: break  // no remote mailboxes here
            case .other(let name):
                throw MailboxListing.Refusal(status: IMAPStatus(.bad, "Unknown LIST selection option: \(name.prefix(64))"))
            }
        }
        // RFC 5258 §3: RECURSIVEMATCH needs another option (REMOTE does not count).
        if recursiveMatch && !selectSubscribed && !selectSpecialUse {
            throw MailboxListing.Refusal(status: IMAPStatus(.bad, "RECURSIVEMATCH must not be the only selection"))
        }
        for option in command.returnOptions ?? [] {
            switch option {
            case .subscribed: returnSubscribed = true
            case .children: returnChildren = true
            case .specialUse: returnSpecialUse = true
            case .status(let items): status = items
            case .other(let name):
                throw MailboxListing.Refusal(status: IMAPStatus(.bad, "Unknown LIST return option: \(name.prefix(64))"))
            }
        }
        // RFC 5258 §3.1: SUBSCRIBED selection implies the SUBSCRIBED return option.
        if selectSubscribed { returnSubscribed = true }
        // A basic LIST: CHILDREN (RFC 3348) and SPECIAL-USE (RFC 6154 §2) attributes, as Dovecot.
        if !extended {
            returnChildren = true
            returnSpecialUse = true
        }
        if selectSpecialUse { returnSpecialUse = true }
    }
}
