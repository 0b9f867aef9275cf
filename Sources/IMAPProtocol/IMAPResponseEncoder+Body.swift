/// ENVELOPE and BODY/BODYSTRUCTURE (RFC 3501 §7.4.2, §9).
extension IMAPResponseEncoder {
    static func writeEnvelope(_ envelope: IMAPEnvelope, into writer: inout IMAPWriter) {
        writer.write("(")
        writer.writeNString(envelope.date)
        writer.writeSpace()
        writer.writeNString(envelope.subject)
        for addresses in [envelope.from, envelope.sender, envelope.replyTo, envelope.to, envelope.cc, envelope.bcc] {
            writer.writeSpace()
            // env-from = "(" 1*address ")" / nil
            guard !addresses.isEmpty else {
                writer.write("NIL")
                continue
            }
            writer.write("(")
            for address in addresses {
                writer.write("(")
                writer.writeNString(address.name)
                writer.writeSpace()
                writer.writeNString(address.adl)
                writer.writeSpace()
                writer.writeNString(address.mailbox)
                writer.writeSpace()
                writer.writeNString(address.host)
                writer.write(")")
            }
            writer.write(")")
        }
        writer.writeSpace()
        writer.writeNString(envelope.inReplyTo)
        writer.writeSpace()
        writer.writeNString(envelope.messageID)
        writer.write(")")
    }

    static func writeBody(_ body: IMAPBodyStructure, extensible: Bool, into writer: inout IMAPWriter) {
        writer.write("(")
        switch body {
        case .singlePart(let part):
            writer.writeString(part.type)
            writer.writeSpace()
            writer.writeString(part.subtype)
            writer.writeSpace()
            writeBodyParameters(part.fields.parameters, into: &writer)
            writer.writeSpace()
            writer.writeNString(part.fields.id)
            writer.writeSpace()
            writer.writeNString(part.fields.description)
            writer.writeSpace()
            writer.writeString(part.fields.encoding)
            writer.write(" \(part.fields.octets)")
            switch part.kind {
            case .basic: break
            case .text(let lines): writer.write(" \(lines)")
            case .message(let envelope, let inner, let lines):
                writer.writeSpace()
                writeEnvelope(envelope, into: &writer)
                writer.writeSpace()
                writeBody(inner, extensible: extensible, into: &writer)
                writer.write(" \(lines)")
            }
            if extensible {
                // body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
                writer.writeSpace()
                writer.writeNString(part.md5)
                writeBodyExtension(part.extensionData ?? IMAPBodyExtension(), into: &writer)
            }
        case .multipart(let multipart):
            // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]: no space between bodies
            for part in multipart.parts { writeBody(part, extensible: extensible, into: &writer) }
            writer.writeSpace()
            writer.writeString(multipart.subtype)
            if extensible {
                writer.writeSpace()
                writeBodyParameters(multipart.parameters ?? [], into: &writer)
                writeBodyExtension(multipart.extensionData ?? IMAPBodyExtension(), into: &writer)
            }
        }
        writer.write(")")
    }

    /// SP body-fld-dsp SP body-fld-lang SP body-fld-loc
    static func writeBodyExtension(_ data: IMAPBodyExtension, into writer: inout IMAPWriter) {
        writer.writeSpace()
        if let kind = data.dispositionKind {
            writer.write("(")
            writer.writeString(kind)
            writer.writeSpace()
            writeBodyParameters(data.dispositionParameters, into: &writer)
            writer.write(")")
        } else {
            writer.write("NIL")
        }
        writer.writeSpace()
        switch data.languages.count {
        case 0: writer.write("NIL")
        case 1: writer.writeString(data.languages[0])
        default: writer.writeList(data.languages) { $0.writeString($1) }
        }
        writer.writeSpace()
        writer.writeNString(data.location)
    }

    /// body-fld-param = "(" string SP string *(SP string SP string) ")" / nil
    static func writeBodyParameters(_ parameters: [IMAPBodyParameter], into writer: inout IMAPWriter) {
        guard !parameters.isEmpty else { return writer.write("NIL") }
        writer.writeList(parameters) { writer, parameter in
            writer.writeString(parameter.name)
            writer.writeSpace()
            writer.writeString(parameter.value)
        }
    }
}
