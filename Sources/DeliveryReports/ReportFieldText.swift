/// Makes untrusted text (a remote server's reply, addresses, host names, ENVID) safe inside
/// a header field of the report, and folds long fields.
enum ReportFieldText {
    /// A field's value is one line of printable text: RFC 5322 §2.2 allows no CR or LF in a
    /// field body except as folding, and RFC 3464 §2.1.1 fields are plain `*text`. Controls
    /// (CR, LF, TAB, NUL, DEL …) become a space and runs of spaces collapse, so a remote
    /// server cannot end a field, start a new one or a new MIME part. Non-ASCII is kept only
    /// where the media type allows UTF-8 (`allowUTF8`: RFC 6533 §3 for
    /// message/global-delivery-status) and only as printable characters; otherwise it becomes
    /// "?". The result is cut at `maximumBytes` UTF-8 octets on a character boundary.
    static func sanitized(_ text: String, allowUTF8: Bool, maximumBytes: Int) -> String {
        var result = ""
        var pendingSpace = false
        var bytes = 0
        for scalar in text.unicodeScalars {
            let replacement: Unicode.Scalar
            if scalar.isASCII {
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar == " " {
                    pendingSpace = !result.isEmpty
                    continue
                }
                replacement = scalar
            } else {
                replacement = allowUTF8 && isPrintable(scalar) ? scalar : "?"
                if replacement == "?" && isSpaceLike(scalar) {
                    pendingSpace = !result.isEmpty
                    continue
                }
            }
            let length = (pendingSpace ? 1 : 0) + String(replacement).utf8.count
            guard bytes + length <= maximumBytes else { break }
            if pendingSpace { result.unicodeScalars.append(" ") }
            result.unicodeScalars.append(replacement)
            bytes += length
            pendingSpace = false
        }
        return result
    }

    /// Not a control, format (bidi overrides) or separator character.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator, .surrogate,
             .privateUse, .unassigned:
            return false
        default:
            return true
        }
    }

    private static func isSpaceLike(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// "Name: value", folded (RFC 5322 §2.2.3: a line break inserted before a space) so lines
    /// stay within 78 characters where the words allow (§2.1.1). The value must already be
    /// sanitised (one line, single spaces); a word longer than the line keeps its own line,
    /// and callers bound values so that even then a line stays under the 998-octet limit.
    /// LF line ends, as the whole report (see `DeliveryReport.bytes`).
    static func folded(name: String, value: String, width: Int = 78) -> String {
        var output = "\(name):"
        var lineLength = output.utf8.count
        for word in value.split(separator: " ", omittingEmptySubsequences: true) {
            let wordLength = word.utf8.count
            if lineLength + 1 + wordLength > width && lineLength > name.utf8.count + 1 {
                output += "\n "
                lineLength = 1
            } else {
                output += " "
                lineLength += 1
            }
            output += word
            lineLength += wordLength
        }
        return output + "\n"
    }
}
