import IMAPProtocol

/// ENVELOPE and BODYSTRUCTURE from the MIME tree (RFC 3501 §7.4.2), matching what Dovecot
/// 2.3 prints: types, subtypes, parameters and encodings keep the case they were written in;
/// the defaults are lower case (`"text" "plain" ("charset" "us-ascii") … "7bit"`).
struct BodyStructureBuilder {
    let bytes: [UInt8]
    let limits: MIMELimits

    func envelope(_ header: MIMEHeader) -> IMAPEnvelope {
        func addresses(_ name: String) -> [IMAPAddress] {
            header.lastValue(name, in: bytes).map { AddressListParser.parse($0, limit: limits.maximumAddresses) } ?? []
        }
        let from = addresses("From")
        let sender = addresses("Sender")
        let replyTo = addresses("Reply-To")
        return IMAPEnvelope(
            date: nonEmpty(header.lastValue("Date", in: bytes)),
            subject: nonEmpty(header.lastValue("Subject", in: bytes)),
            from: from,
            // RFC 3501 §7.4.2: sender and reply-to default to from.
            sender: sender.isEmpty ? from : sender,
            replyTo: replyTo.isEmpty ? from : replyTo,
            to: addresses("To"), cc: addresses("Cc"), bcc: addresses("Bcc"),
            inReplyTo: nonEmpty(header.lastValue("In-Reply-To", in: bytes)),
            messageID: nonEmpty(header.lastValue("Message-ID", in: bytes)))
    }

    private func nonEmpty(_ value: [UInt8]?) -> [UInt8]? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    func structure(_ part: MIMEPart) -> IMAPBodyStructure {
        let header = part.header
        if case .multipart(let children) = part.kind {
            var multipart = IMAPMultipart(parts: children.map(structure), subtype: "")
            multipart.subtype = part.contentType.subtype
            multipart.parameters = part.contentType.parameters
            multipart.extensionData = extensionData(header)
            return .multipart(multipart)
        }
        var type = part.contentType
        if part.opaque {
            // Past a limit the part is opaque octets: its structure is not read.
            type = MIMEPart.ContentType(type: Array("application".utf8), subtype: Array("octet-stream".utf8),
                                        parameters: [], explicit: false)
        }
        var parameters = type.parameters
        if type.isType("text") && type.parameter("charset") == nil {
            parameters.append(IMAPBodyParameter("charset", "us-ascii"))
        }
        var fields = IMAPBodyFields(octets: part.bodyEnd - part.bodyStart)
        fields.parameters = parameters
        fields.id = nonEmpty(header.value("Content-ID", in: bytes))
        fields.description = nonEmpty(header.value("Content-Description", in: bytes))
        fields.encoding = Array("7bit".utf8)
        if let value = header.value("Content-Transfer-Encoding", in: bytes),
           case .word(let encoding, _)? = MIMEFieldValue.tokens(value).first {
            fields.encoding = encoding
        }
        let lines = lineCount(part)
        let kind: IMAPSinglePart.Kind
        if case .message(let inner) = part.kind, let enclosed = inner.first {
            kind = .message(envelope(enclosed.header), structure(enclosed), lines: lines)
        } else if type.isType("text") {
            kind = .text(lines: lines)
        } else {
            kind = .basic
        }
        var single = IMAPSinglePart(type: "", subtype: "", fields: fields, kind: kind)
        single.type = type.type
        single.subtype = type.subtype
        single.md5 = nonEmpty(header.value("Content-MD5", in: bytes))
        single.extensionData = extensionData(header)
        return .singlePart(single)
    }

    /// body-fld-dsp, body-fld-lang, body-fld-loc (RFC 2183, RFC 3282, RFC 2557).
    private func extensionData(_ header: MIMEHeader) -> IMAPBodyExtension {
        var data = IMAPBodyExtension()
        if let value = header.value("Content-Disposition", in: bytes), let disposition = MIMEFieldValue.disposition(value) {
            data.dispositionKind = disposition.kind
            data.dispositionParameters = disposition.parameters
        }
        if let value = header.value("Content-Language", in: bytes) {
            data.languages = MIMEFieldValue.languages(value)
        }
        data.location = nonEmpty(header.value("Content-Location", in: bytes))
        return data
    }

    /// body-fld-lines: the line ends in the body.
    private func lineCount(_ part: MIMEPart) -> Int {
        var count = 0
        var index = part.bodyStart
        while index < part.bodyEnd {
            if bytes[index] == 0x0A { count += 1 }
            index += 1
        }
        return count
    }
}
