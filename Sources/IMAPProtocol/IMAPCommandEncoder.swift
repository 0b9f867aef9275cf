import NIOCore

/// Writes commands in the grammar `IMAPCommandParser` reads (the client side; tests check
/// `parse(encode(command)) == command`). A `.streamed` APPEND literal gets its header only:
/// the caller sends the payload after it.
public enum IMAPCommandEncoder {
    public static func encode(_ command: IMAPTaggedCommand, literalStyle: IMAPWriter.LiteralStyle = .nonSynchronizing) -> ByteBuffer {
        var writer = IMAPWriter(literalStyle: literalStyle)
        writer.write(command.tag)
        writer.writeSpace()
        write(command.command, into: &writer)
        writer.writeLineEnd()
        return writer.buffer
    }

    static func write(_ command: IMAPCommand, into writer: inout IMAPWriter) {
        switch command {
        case .capability: writer.write("CAPABILITY")
        case .noop: writer.write("NOOP")
        case .logout: writer.write("LOGOUT")
        case .starttls: writer.write("STARTTLS")
        case .check: writer.write("CHECK")
        case .close: writer.write("CLOSE")
        case .expunge: writer.write("EXPUNGE")
        case .unselect: writer.write("UNSELECT")
        case .namespace: writer.write("NAMESPACE")
        case .idle: writer.write("IDLE")
        case .authenticate(let mechanism, let initial):
            writer.write("AUTHENTICATE \(mechanism)")
            if let initial {
                writer.writeSpace()
                if initial.isEmpty { writer.write("=") } else { writer.writeBytes(initial) }
            }
        case .login(let user, let password):
            writer.write("LOGIN ")
            writer.writeAString(user)
            writer.writeSpace()
            writer.writeAString(password)
        case .select(let mailbox, let parameters), .examine(let mailbox, let parameters):
            if case .select = command { writer.write("SELECT ") } else { writer.write("EXAMINE ") }
            writer.writeMailbox(mailbox)
            if !parameters.isEmpty {
                writer.writeSpace()
                writer.writeList(parameters) { writer, parameter in
                    writer.write(parameter.name)
                    if let value = parameter.value {
                        writer.writeSpace()
                        writer.writeAString(value)
                    }
                }
            }
        case .create(let mailbox): mailboxCommand("CREATE", mailbox, &writer)
        case .delete(let mailbox): mailboxCommand("DELETE", mailbox, &writer)
        case .subscribe(let mailbox): mailboxCommand("SUBSCRIBE", mailbox, &writer)
        case .unsubscribe(let mailbox): mailboxCommand("UNSUBSCRIBE", mailbox, &writer)
        case .rename(let from, let to):
            mailboxCommand("RENAME", from, &writer)
            writer.writeSpace()
            writer.writeMailbox(to)
        case .list(let list): writeList(list, into: &writer)
        case .lsub(let reference, let pattern):
            mailboxCommand("LSUB", reference, &writer)
            writer.writeSpace()
            writer.writeListMailbox(pattern)
        case .status(let mailbox, let attributes):
            mailboxCommand("STATUS", mailbox, &writer)
            writer.writeSpace()
            writer.writeList(attributes) { $0.write($1.rawValue) }
        case .append(let mailbox, let messages):
            mailboxCommand("APPEND", mailbox, &writer)
            for message in messages {
                writer.writeSpace()
                if !message.flags.isEmpty {
                    writer.writeFlags(message.flags)
                    writer.writeSpace()
                }
                if let date = message.internalDate {
                    writer.writeDateTime(date)
                    writer.writeSpace()
                }
                switch message.data {
                case .inline(let bytes): writer.writeLiteral(bytes)
                case .streamed(_, let size): writer.writeLiteralHeader(size: size)
                }
            }
        case .enable(let capabilities):
            writer.write("ENABLE " + capabilities.joined(separator: " "))
        case .id(let fields):
            writer.write("ID ")
            guard let fields else { return writer.write("NIL") }
            writer.writeList(fields) { writer, field in
                writer.writeString(field.name)
                writer.writeSpace()
                writer.writeNString(field.value)
            }
        case .uidExpunge(let set):
            writer.write("UID EXPUNGE ")
            writer.writeSequenceSet(set)
        case .search(let search, let uid):
            writer.write(uid ? "UID SEARCH" : "SEARCH")
            if let charset = search.charset {
                writer.write(" CHARSET ")
                writer.writeAString(Array(charset.utf8))
            }
            for key in search.keys {
                writer.writeSpace()
                writeSearchKey(key, into: &writer)
            }
        case .fetch(let set, let attributes, let uid):
            writer.write(uid ? "UID FETCH " : "FETCH ")
            writer.writeSequenceSet(set)
            writer.writeSpace()
            writer.writeList(attributes) { writeFetchAttribute($1, into: &$0) }
        case .store(let set, let action, let uid):
            writer.write(uid ? "UID STORE " : "STORE ")
            writer.writeSequenceSet(set)
            switch action.operation {
            case .replace: writer.write(" ")
            case .add: writer.write(" +")
            case .remove: writer.write(" -")
            }
            writer.write(action.silent ? "FLAGS.SILENT " : "FLAGS ")
            writer.writeFlags(action.flags)
        case .copy(let set, let mailbox, let uid), .move(let set, let mailbox, let uid):
            let name = if case .copy = command { "COPY " } else { "MOVE " }
            writer.write((uid ? "UID " : "") + name)
            writer.writeSequenceSet(set)
            writer.writeSpace()
            writer.writeMailbox(mailbox)
        }
    }

    private static func mailboxCommand(_ name: String, _ mailbox: IMAPMailboxName, _ writer: inout IMAPWriter) {
        writer.write(name + " ")
        writer.writeMailbox(mailbox)
    }

    static func writeList(_ list: IMAPListCommand, into writer: inout IMAPWriter) {
        writer.write("LIST ")
        if !list.selectionOptions.isEmpty {
            writer.writeList(list.selectionOptions) { writer, option in
                switch option {
                case .subscribed: writer.write("SUBSCRIBED")
                case .remote: writer.write("REMOTE")
                case .recursiveMatch: writer.write("RECURSIVEMATCH")
                case .specialUse: writer.write("SPECIAL-USE")
                case .other(let name): writer.write(name)
                }
            }
            writer.writeSpace()
        }
        writer.writeMailbox(list.reference)
        writer.writeSpace()
        if list.parenthesizedPatterns || list.patterns.count != 1 {
            writer.writeList(list.patterns) { $0.writeListMailbox($1) }
        } else {
            writer.writeListMailbox(list.patterns[0])
        }
        if let options = list.returnOptions {
            writer.write(" RETURN ")
            writer.writeList(options) { writer, option in
                switch option {
                case .subscribed: writer.write("SUBSCRIBED")
                case .children: writer.write("CHILDREN")
                case .specialUse: writer.write("SPECIAL-USE")
                case .status(let attributes):
                    writer.write("STATUS ")
                    writer.writeList(attributes) { $0.write($1.rawValue) }
                case .other(let name): writer.write(name)
                }
            }
        }
    }

    static func writeSearchKey(_ key: IMAPSearchKey, into writer: inout IMAPWriter) {
        func string(_ name: String, _ value: [UInt8]) {
            writer.write(name + " ")
            writer.writeAString(value)
        }
        switch key {
        case .all: writer.write("ALL")
        case .answered: writer.write("ANSWERED")
        case .deleted: writer.write("DELETED")
        case .draft: writer.write("DRAFT")
        case .flagged: writer.write("FLAGGED")
        case .new: writer.write("NEW")
        case .old: writer.write("OLD")
        case .recent: writer.write("RECENT")
        case .seen: writer.write("SEEN")
        case .unanswered: writer.write("UNANSWERED")
        case .undeleted: writer.write("UNDELETED")
        case .undraft: writer.write("UNDRAFT")
        case .unflagged: writer.write("UNFLAGGED")
        case .unseen: writer.write("UNSEEN")
        case .bcc(let value): string("BCC", value)
        case .body(let value): string("BODY", value)
        case .cc(let value): string("CC", value)
        case .from(let value): string("FROM", value)
        case .subject(let value): string("SUBJECT", value)
        case .text(let value): string("TEXT", value)
        case .to(let value): string("TO", value)
        case .header(let field, let value):
            string("HEADER", field)
            writer.writeSpace()
            writer.writeAString(value)
        case .keyword(let name): writer.write("KEYWORD \(name)")
        case .unkeyword(let name): writer.write("UNKEYWORD \(name)")
        case .before(let date): writer.write("BEFORE \(date.text)")
        case .on(let date): writer.write("ON \(date.text)")
        case .since(let date): writer.write("SINCE \(date.text)")
        case .sentBefore(let date): writer.write("SENTBEFORE \(date.text)")
        case .sentOn(let date): writer.write("SENTON \(date.text)")
        case .sentSince(let date): writer.write("SENTSINCE \(date.text)")
        case .larger(let size): writer.write("LARGER \(size)")
        case .smaller(let size): writer.write("SMALLER \(size)")
        case .uid(let set):
            writer.write("UID ")
            writer.writeSequenceSet(set)
        case .sequenceSet(let set): writer.writeSequenceSet(set)
        case .not(let inner):
            writer.write("NOT ")
            writeSearchKey(inner, into: &writer)
        case .or(let first, let second):
            writer.write("OR ")
            writeSearchKey(first, into: &writer)
            writer.writeSpace()
            writeSearchKey(second, into: &writer)
        case .and(let keys):
            writer.writeList(keys) { writeSearchKey($1, into: &$0) }
        }
    }

    static func writeFetchAttribute(_ attribute: IMAPFetchAttribute, into writer: inout IMAPWriter) {
        switch attribute {
        case .envelope: writer.write("ENVELOPE")
        case .flags: writer.write("FLAGS")
        case .internalDate: writer.write("INTERNALDATE")
        case .rfc822: writer.write("RFC822")
        case .rfc822Header: writer.write("RFC822.HEADER")
        case .rfc822Size: writer.write("RFC822.SIZE")
        case .rfc822Text: writer.write("RFC822.TEXT")
        case .uid: writer.write("UID")
        case .body: writer.write("BODY")
        case .bodyStructure: writer.write("BODYSTRUCTURE")
        case .bodySection(let section, let partial, let peek):
            writer.write(peek ? "BODY.PEEK" : "BODY")
            writeSection(section, into: &writer)
            if let partial { writer.write("<\(partial.offset).\(partial.length)>") }
        }
    }

    /// section = "[" [section-spec] "]"; shared with the FETCH response (`BODY[section]`).
    public static func writeSection(_ section: IMAPSection, into writer: inout IMAPWriter) {
        writer.write("[")
        writer.write(section.part.map(String.init).joined(separator: "."))
        if let text = section.text {
            if !section.part.isEmpty { writer.write(".") }
            switch text {
            case .header: writer.write("HEADER")
            case .text: writer.write("TEXT")
            case .mime: writer.write("MIME")
            case .headerFields(let fields), .headerFieldsNot(let fields):
                if case .headerFields = text { writer.write("HEADER.FIELDS ") } else { writer.write("HEADER.FIELDS.NOT ") }
                writer.writeList(fields) { $0.writeAString($1) }
            }
        }
        writer.write("]")
    }
}
