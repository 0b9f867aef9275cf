import NIOCore

/// Writes responses (RFC 3501 §7, §9). Text the server composes is kept on one line: CR, LF and
/// NUL become spaces, so no client-supplied text can start a response of its own.
public enum IMAPResponseEncoder {
    public static func encode(_ response: IMAPResponse) -> ByteBuffer {
        var writer = IMAPWriter()
        write(response, into: &writer)
        return writer.buffer
    }

    public static func write(_ response: IMAPResponse, into writer: inout IMAPWriter) {
        switch response {
        case .tagged(let tag, let status):
            writer.write(tag)
            writer.writeSpace()
            writeStatus(status, into: &writer)
        case .untagged(let untagged):
            writer.write("* ")
            writeUntagged(untagged, into: &writer)
        case .continuation(let text):
            // continue-req = "+" SP (resp-text / base64) CRLF
            writer.write("+ ")
            writer.write(oneLine(text))
        }
        writer.writeLineEnd()
    }

    /// resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text
    /// resp-text = ["[" resp-text-code "]" SP] text
    static func writeStatus(_ status: IMAPStatus, into writer: inout IMAPWriter) {
        writer.write(status.kind.rawValue)
        writeResponseText(code: status.code, text: status.text, into: &writer)
    }

    static func writeResponseText(code: IMAPResponseCode?, text: String, into writer: inout IMAPWriter) {
        if let code {
            writer.write(" [")
            writeCode(code, into: &writer)
            writer.write("]")
        }
        let line = oneLine(text)
        if !line.isEmpty { writer.write(" " + line) }
    }

    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\r" || $0 == "\n" || $0 == "\0" ? " " : $0 }))
    }

    static func writeCode(_ code: IMAPResponseCode, into writer: inout IMAPWriter) {
        switch code {
        case .alert: writer.write("ALERT")
        case .badCharset(let charsets):
            writer.write("BADCHARSET")
            if !charsets.isEmpty {
                writer.writeSpace()
                writer.writeList(charsets) { $0.writeAString(Array($1.utf8)) }
            }
        case .capability(let capabilities): writer.write((["CAPABILITY"] + capabilities).joined(separator: " "))
        case .parse: writer.write("PARSE")
        case .permanentFlags(let flags, let canCreate):
            writer.write("PERMANENTFLAGS ")
            writer.writeList(flags.map(\.text) + (canCreate ? ["\\*"] : [])) { $0.write($1) }
        case .readOnly: writer.write("READ-ONLY")
        case .readWrite: writer.write("READ-WRITE")
        case .tryCreate: writer.write("TRYCREATE")
        case .uidNext(let value): writer.write("UIDNEXT \(value)")
        case .uidValidity(let value): writer.write("UIDVALIDITY \(value)")
        case .unseen(let value): writer.write("UNSEEN \(value)")
        case .appendUID(let validity, let uids):
            writer.write("APPENDUID \(validity) ")
            writer.writeSequenceSet(uids)
        case .copyUID(let validity, let source, let destination):
            writer.write("COPYUID \(validity) ")
            writer.writeSequenceSet(source)
            writer.writeSpace()
            writer.writeSequenceSet(destination)
        case .uidNotSticky: writer.write("UIDNOTSTICKY")
        case .closed: writer.write("CLOSED")
        case .nonexistent: writer.write("NONEXISTENT")
        case .alreadyExists: writer.write("ALREADYEXISTS")
        case .limit: writer.write("LIMIT")
        case .tooBig: writer.write("TOOBIG")
        case .overQuota: writer.write("OVERQUOTA")
        case .inUse: writer.write("INUSE")
        case .noPerm: writer.write("NOPERM")
        case .cannot: writer.write("CANNOT")
        case .unavailable: writer.write("UNAVAILABLE")
        case .authenticationFailed: writer.write("AUTHENTICATIONFAILED")
        case .authorizationFailed: writer.write("AUTHORIZATIONFAILED")
        case .expired: writer.write("EXPIRED")
        case .privacyRequired: writer.write("PRIVACYREQUIRED")
        case .contactAdmin: writer.write("CONTACTADMIN")
        case .serverBug: writer.write("SERVERBUG")
        case .clientBug: writer.write("CLIENTBUG")
        case .expungeIssued: writer.write("EXPUNGEISSUED")
        case .corruption: writer.write("CORRUPTION")
        case .other(let name, let text):
            writer.write(name)
            // atom [SP 1*<any TEXT-CHAR except "]">]
            if let text, !text.isEmpty { writer.write(" " + String(String.UnicodeScalarView(oneLine(text).unicodeScalars.map { $0 == "]" ? " " : $0 }))) }
        }
    }

    static func writeUntagged(_ response: IMAPUntaggedResponse, into writer: inout IMAPWriter) {
        switch response {
        case .status(let status): writeStatus(status, into: &writer)
        case .bye(let code, let text):
            writer.write("BYE")
            writeResponseText(code: code, text: text, into: &writer)
        case .capability(let capabilities):
            // capability-data = "CAPABILITY" *(SP capability) SP "IMAP4rev1" *(SP capability)
            writer.write((["CAPABILITY"] + capabilities).joined(separator: " "))
        case .list(let item):
            writer.write("LIST ")
            writeListItem(item, into: &writer)
        case .lsub(let item):
            writer.write("LSUB ")
            writeListItem(item, into: &writer)
        case .mailboxStatus(let mailbox, let values):
            // "STATUS" SP mailbox SP "(" [status-att-list] ")"
            writer.write("STATUS ")
            writer.writeMailbox(mailbox)
            writer.writeSpace()
            writer.writeList(values) { $0.write("\($1.attribute.rawValue) \($1.value)") }
        case .search(let numbers):
            // "SEARCH" *(SP nz-number)
            writer.write("SEARCH")
            for number in numbers {
                writer.writeSpace()
                writer.writeNumber(number)
            }
        case .flags(let flags):
            writer.write("FLAGS ")
            writer.writeFlags(flags)
        case .exists(let count):
            writer.writeNumber(count)
            writer.write(" EXISTS")
        case .recent(let count): writer.write("\(count) RECENT")
        case .expunge(let number): writer.write("\(number) EXPUNGE")
        case .fetch(let number, let items):
            writer.writeNumber(number)
            writer.write(" FETCH (")
            writeFetchItems(items, into: &writer)
            writer.write(")")
        case .enabled(let capabilities):
            writer.write((["ENABLED"] + capabilities).joined(separator: " "))
        case .id(let fields):
            writer.write("ID ")
            guard let fields, !fields.isEmpty else { return writer.write("NIL") }
            writer.writeList(fields) { writer, field in
                writer.writeString(field.name)
                writer.writeSpace()
                writer.writeNString(field.value)
            }
        case .namespace(let personal, let otherUsers, let shared):
            writer.write("NAMESPACE")
            for namespaces in [personal, otherUsers, shared] {
                writer.writeSpace()
                guard let namespaces, !namespaces.isEmpty else {
                    writer.write("NIL")
                    continue
                }
                // "(" 1*( "(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil) ")" ) ")": no space between
                writer.write("(")
                for namespace in namespaces {
                    writer.write("(")
                    writer.writeString(namespace.prefix)
                    writer.writeSpace()
                    writeDelimiter(namespace.delimiter, into: &writer)
                    writer.write(")")
                }
                writer.write(")")
            }
        }
    }

    /// (DQUOTE QUOTED-CHAR DQUOTE / nil)
    static func writeDelimiter(_ delimiter: UInt8?, into writer: inout IMAPWriter) {
        guard let delimiter else { return writer.write("NIL") }
        writer.writeString([delimiter])
    }

    static func writeListItem(_ item: IMAPListItem, into writer: inout IMAPWriter) {
        writer.writeList(item.attributes) { $0.write($1) }
        writer.writeSpace()
        writeDelimiter(item.delimiter, into: &writer)
        writer.writeSpace()
        writer.writeMailbox(item.name)
        if item.childInfoSubscribed {
            // mbox-list-extended = "(" [mbox-list-extended-item *(SP mbox-list-extended-item)] ")"
            writer.write(" (\"CHILDINFO\" (\"SUBSCRIBED\"))")
        }
    }

    static func writeFetchItems(_ items: [IMAPFetchItem], into writer: inout IMAPWriter) {
        for (position, item) in items.enumerated() {
            if position > 0 { writer.writeSpace() }
            writeFetchItem(item, into: &writer)
        }
    }

    /// One FETCH item in wire form, for a cache to keep (`IMAPFetchItem.encoded`).
    public static func encodeFetchItem(_ item: IMAPFetchItem) -> [UInt8] {
        var writer = IMAPWriter()
        writeFetchItem(item, into: &writer)
        return writer.buffer.readBytes(length: writer.buffer.readableBytes) ?? []
    }

    static func writeFetchItem(_ item: IMAPFetchItem, into writer: inout IMAPWriter) {
        switch item {
        case .flags(let flags):
            writer.write("FLAGS ")
            writer.writeFlags(flags)
        case .internalDate(let date):
            writer.write("INTERNALDATE ")
            writer.writeDateTime(date)
        case .rfc822Size(let size):
            writer.write("RFC822.SIZE ")
            writer.writeNumber(size)
        case .uid(let uid):
            writer.write("UID ")
            writer.writeNumber(uid)
        case .envelope(let envelope):
            writer.write("ENVELOPE ")
            writeEnvelope(envelope, into: &writer)
        case .body(let body):
            writer.write("BODY ")
            writeBody(body, extensible: false, into: &writer)
        case .bodyStructure(let body):
            writer.write("BODYSTRUCTURE ")
            writeBody(body, extensible: true, into: &writer)
        case .bodySection(let section, let origin, let data):
            writeStreamedName(.bodySection(section, origin: origin), into: &writer)
            writer.writeSpace()
            writeMessageData(data, into: &writer)
        case .rfc822(let data):
            writer.write("RFC822 ")
            writeMessageData(data, into: &writer)
        case .rfc822Header(let data):
            writer.write("RFC822.HEADER ")
            writeMessageData(data, into: &writer)
        case .rfc822Text(let data):
            writer.write("RFC822.TEXT ")
            writeMessageData(data, into: &writer)
        case .encoded(let bytes):
            writer.writeBytes(bytes)
        case .modSequence(let value):
            writer.write("MODSEQ (\(value))")
        }
    }

    /// Message data always goes as a literal (or NIL): its size is then known to the client
    /// before the octets, as Dovecot sends it.
    static func writeMessageData(_ data: [UInt8]?, into writer: inout IMAPWriter) {
        guard let data else { return writer.write("NIL") }
        writer.writeLiteral(data)
    }

    static func writeStreamedName(_ item: IMAPStreamedFetchItem, into writer: inout IMAPWriter) {
        switch item {
        case .bodySection(let section, let origin):
            writer.write("BODY")
            IMAPCommandEncoder.writeSection(section, into: &writer)
            if let origin { writer.write("<\(origin)>") }
        case .rfc822: writer.write("RFC822")
        case .rfc822Header: writer.write("RFC822.HEADER")
        case .rfc822Text: writer.write("RFC822.TEXT")
        }
    }
}
