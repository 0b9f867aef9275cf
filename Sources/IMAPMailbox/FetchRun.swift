import IMAPMessage
import IMAPProtocol
import IMAPStore
import NIOCore

/// FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8), produced a batch of messages at a time so a
/// FETCH 1:* of a large mailbox streams: only one batch's metadata and one message's content
/// are in memory at once.
final class FetchRun {
    static let batchSize = 256

    let session: IMAPAccountSession
    let view: SelectedMailbox
    let tag: String
    let attributes: [IMAPFetchAttribute]
    let uid: Bool
    let ranges: [ClosedRange<Int>]
    let need: FetchResponder.Need
    let setsSeen: Bool
    let wantsDate: Bool
    let wantsSize: Bool
    /// ENVELOPE or BODYSTRUCTURE is asked and nothing else needs the file: the cache can answer.
    let structureOnlyNeedsContent: Bool
    /// Only FLAGS, UID, RFC822.SIZE, INTERNALDATE.
    let allMetadata: Bool
    /// Whether a file may be read or stat'd (content, a size missing from the name, a date).
    let needsLocation: Bool
    private var rangeIndex = 0
    private var nextIndex: Int?
    private var missing = false
    private var synchronized = false
    /// The batch's cached ENVELOPE/BODYSTRUCTURE items, read in one query.
    private var cachedStructures: [UInt32: (envelope: [UInt8]?, bodyStructure: [UInt8]?)] = [:]
    /// Items parsed in this batch, written to the cache in one transaction after it.
    private var parsedStructures: [(uid: UInt32, envelope: [UInt8], bodyStructure: [UInt8]?)] = []
    /// ENVELOPE without BODYSTRUCTURE and nothing else that reads the file: the header is enough.
    let envelopeFromHeader: Bool
    let wantsEnvelope: Bool
    let wantsBodyStructure: Bool

    init(session: IMAPAccountSession, view: SelectedMailbox, tag: String, attributes: [IMAPFetchAttribute], uid: Bool,
         ranges: [ClosedRange<Int>]) {
        self.session = session
        self.view = view
        self.tag = tag
        self.attributes = attributes
        self.uid = uid
        self.ranges = ranges
        let simple = attributes.allSatisfy(Self.isMetadata)
        allMetadata = simple
        need = simple ? .metadata : FetchResponder.need(attributes)
        setsSeen = simple ? false : FetchResponder.setsSeen(attributes)
        let rest = attributes.filter { $0 != .envelope && $0 != .bodyStructure }
        structureOnlyNeedsContent = !simple && rest.count < attributes.count && (rest.isEmpty || FetchResponder.need(rest) == .metadata)
        wantsEnvelope = attributes.contains(.envelope)
        wantsBodyStructure = attributes.contains(.bodyStructure)
        envelopeFromHeader = structureOnlyNeedsContent && wantsEnvelope && !wantsBodyStructure
        wantsDate = attributes.contains(.internalDate)
        wantsSize = attributes.contains(.rfc822Size)
        needsLocation = !simple || wantsDate || wantsSize
        nextIndex = ranges.first?.lowerBound
    }

    static func make(session: IMAPAccountSession, tag: String, set: IMAPSequenceSet, attributes: [IMAPFetchAttribute],
                     uid: Bool) -> IMAPCommandRun {
        guard let view = session.selected else { return IMAPCommandRun(responses: []) }
        guard let ranges = session.ranges(set, uid: uid, in: view) else {
            return IMAPCommandRun(responses: [IMAPAccountSession.invalidSet(tag, "FETCH")])
        }
        let run = FetchRun(session: session, view: view, tag: tag, attributes: attributes, uid: uid, ranges: ranges)
        return IMAPCommandRun { buffer, budget in try run.produce(into: &buffer, budget: budget) }
    }

    /// The attributes answered from the owner's state alone, without IMAPMessage.
    static func isMetadata(_ attribute: IMAPFetchAttribute) -> Bool {
        switch attribute {
        case .flags, .uid, .rfc822Size, .internalDate: true
        default: false
        }
    }

    func produce(into buffer: inout ByteBuffer, budget: Int) throws -> Bool {
        if !synchronized {
            synchronized = true
            // A sync point, so the flags served are current (updates come after the data).
            try view.owner.withSynchronizedState { _ in }
        }
        let start = buffer.writerIndex
        while buffer.writerIndex - start < budget, let first = nextIndex {
            let batch = nextBatch(from: first)
            try write(batch: batch, into: &buffer)
        }
        guard nextIndex == nil else { return false }
        if wantsDate { view.owner.flushInternalDates() }
        let updates = try view.updates(allowExpunge: uid)
        for response in updates { buffer.writeImmutableBuffer(IMAPResponseEncoder.encode(response)) }
        let done = missing
            ? IMAPStatus(.no, code: .expungeIssued, "Some of the requested messages no longer exist.")
            : IMAPStatus(.ok, "Fetch completed.")
        buffer.writeImmutableBuffer(IMAPResponseEncoder.encode(.tagged(tag, done)))
        return true
    }

    /// Up to `batchSize` view indexes from `first`, advancing the cursor.
    private func nextBatch(from first: Int) -> [Int] {
        var indexes: [Int] = []
        var index = first
        while indexes.count < Self.batchSize, rangeIndex < ranges.count {
            indexes.append(index)
            if index < ranges[rangeIndex].upperBound {
                index += 1
            } else {
                rangeIndex += 1
                if rangeIndex < ranges.count { index = ranges[rangeIndex].lowerBound }
            }
        }
        nextIndex = rangeIndex < ranges.count ? index : nil
        return indexes
    }

    private struct Entry {
        var sequence: UInt32
        var message: OwnedMessage
        var recent: Bool
        var flagsChanged: Bool
    }

    /// The batch's messages as the owner has them now, and the folder's keywords.
    private func entries(_ indexes: [Int]) -> (entries: [Entry], keywords: MaildirKeywords) {
        let uids = view.uids, recent = view.recent, needsLocation = needsLocation
        var missing = false
        let result: (entries: [Entry], keywords: MaildirKeywords) = view.owner.withState { state in
            var at = 0
            let entries = indexes.compactMap { index -> Entry? in
                let messageUID = uids[index]
                // Batches ascend (sets are normalised): the owner's position only moves on.
                if at >= state.messages.count || state.messages[at].uid > messageUID { at = 0 }
                at = state.lowerBound(messageUID, from: at)
                guard at < state.messages.count, state.messages[at].uid == messageUID else {
                    missing = true
                    return nil
                }
                // Field by field: copying the whole message would touch its file name's
                // storage, a cache miss per message that FETCH 1:* FLAGS does not need.
                let message = OwnedMessage(uid: messageUID, location: needsLocation ? state.messages[at].location : "",
                                           flags: state.messages[at].flags, modSeq: state.messages[at].modSeq,
                                           size: state.messages[at].size)
                return Entry(sequence: UInt32(index + 1), message: message, recent: recent.contains(messageUID),
                             flagsChanged: false)
            }
            return (entries, state.keywords)
        }
        if missing { self.missing = true }
        return result
    }

    private func write(batch: [Int], into buffer: inout ByteBuffer) throws {
        var (entries, keywords) = entries(batch)
        // §6.4.5: a non-PEEK body fetch sets \Seen; the new FLAGS go in the same response.
        if setsSeen, !view.readOnly {
            let unseen = entries.filter { !$0.message.flags.system.contains(.seen) }.map(\.message.uid)
            if !unseen.isEmpty {
                _ = try view.owner.store(uids: unseen, operation: .add, system: [.seen], keywords: [])
                let changed = Set(unseen)
                (entries, keywords) = self.entries(batch)
                entries = entries.map { entry in
                    var entry = entry
                    if changed.contains(entry.message.uid) {
                        entry.flagsChanged = true
                        view.ownReported[entry.message.uid] = entry.message.modSeq
                    }
                    return entry
                }
            }
        }
        let wantsStructure = attributes.contains(where: { $0 == .envelope || $0 == .bodyStructure })
        if structureOnlyNeedsContent {
            cachedStructures = view.owner.cache?.structures(path: view.owner.path, uids: entries.map(\.message.uid)) ?? [:]
        }
        // Written straight into the output: one writer per batch, not a buffer per message.
        var writer = IMAPWriter(buffer: ByteBuffer())
        swap(&writer.buffer, &buffer)
        defer { swap(&writer.buffer, &buffer) }
        if allMetadata {
            writeMetadata(entries, keywords: keywords, into: &writer)
            return
        }
        for entry in entries {
            IMAPResponseEncoder.write(.untagged(.fetch(entry.sequence, items(for: entry, keywords: keywords))), into: &writer)
        }
        if wantsStructure, !parsedStructures.isEmpty {
            view.owner.cache?.saveStructures(path: view.owner.path, parsedStructures)
        }
        cachedStructures = [:]
        parsedStructures = []
    }

    /// The hot path (FETCH 1:* FLAGS, UID FETCH 1:* (UID FLAGS) of a large folder): no file,
    /// no IMAPMessage, no list of flags or items per message; the bytes are those
    /// IMAPResponseEncoder writes for the same items (FlagWritingTests and the exact FETCH answers in
    /// SelectedStateTests and the Dovecot differential tests check them).
    private func writeMetadata(_ entries: [Entry], keywords: MaildirKeywords, into writer: inout IMAPWriter) {
        let addsUID = uid && !attributes.contains(.uid)
        for entry in entries {
            let message = entry.message
            let size = wantsSize ? message.size ?? MessageFiles.crlfSize(path: "\(view.owner.path)/\(message.location)") ?? 0 : 0
            let date = wantsDate ? view.owner.internalDate(uid: message.uid, location: message.location) : 0
            writer.writeStatic("* ")
            writer.writeNumber(entry.sequence)
            writer.writeStatic(" FETCH (")
            var first = true
            if addsUID {
                writer.writeStatic("UID ")
                writer.writeNumber(message.uid)
                first = false
            }
            for attribute in attributes {
                if !first { writer.writeSpace() }
                first = false
                switch attribute {
                case .flags:
                    writer.writeStatic("FLAGS ")
                    SelectedMailbox.writeFlags(message.flags, keywords: keywords, recent: entry.recent, into: &writer)
                case .uid:
                    writer.writeStatic("UID ")
                    writer.writeNumber(message.uid)
                case .rfc822Size:
                    writer.writeStatic("RFC822.SIZE ")
                    writer.writeNumber(size)
                case .internalDate:
                    writer.writeStatic("INTERNALDATE ")
                    writer.writeDateTime(FetchResponder.dateTime(date))
                default: continue
                }
            }
            writer.writeStatic(")\r\n")
        }
    }

    private func items(for entry: Entry, keywords: MaildirKeywords) -> [IMAPFetchItem] {
        let message = entry.message
        let flags = SelectedMailbox.imapFlags(message.flags, keywords: keywords, recent: entry.recent)
        let path = "\(view.owner.path)/\(message.location)"
        let date = wantsDate ? view.owner.internalDate(uid: message.uid, location: message.location) : 0
        func metadata(content: [UInt8]?) -> MessageMetadata {
            let size: Int = if wantsSize {
                message.size ?? content.map(MessageFiles.crlfSize) ?? MessageFiles.crlfSize(path: path) ?? 0
            } else { 0 }
            return MessageMetadata(uid: message.uid, flags: flags, internalDate: date, size: size)
        }
        var items: [IMAPFetchItem]
        if structureOnlyNeedsContent, let cached = cachedStructure(uid: message.uid),
           cached.envelope != nil || !wantsEnvelope, cached.bodyStructure != nil || !wantsBodyStructure {
            // ENVELOPE and BODYSTRUCTURE from the cache: the file is not read.
            items = itemsWithStructure(envelope: cached.envelope ?? [], bodyStructure: cached.bodyStructure ?? [],
                                       metadata: metadata(content: nil), message: nil, uid: message.uid)
        } else if envelopeFromHeader, let header = MessageFiles.readHeader(path: path) {
            let envelope = IMAPResponseEncoder.encodeFetchItem(.envelope(ParsedMessage.envelope(header: header)))
            parsedStructures.append((message.uid, envelope, nil))
            items = itemsWithStructure(envelope: envelope, bodyStructure: [], metadata: metadata(content: nil),
                                       message: nil, uid: message.uid)
        } else {
            let content = need == .content ? MessageFiles.read(path: path) : nil
            let parsed = content.map { ParsedMessage(crlf: MessageLines.crlf($0)) }
            if need == .content, parsed == nil {
                // The file vanished between scan and open: rescan at the next sync point.
                view.owner.markDirty()
            }
            if let parsed, attributes.contains(where: { $0 == .envelope || $0 == .bodyStructure }) {
                // Built and encoded once, for the answer and for the cache.
                let envelope = IMAPResponseEncoder.encodeFetchItem(.envelope(parsed.envelope))
                let bodyStructure = IMAPResponseEncoder.encodeFetchItem(.bodyStructure(parsed.bodyStructure))
                parsedStructures.append((message.uid, envelope, bodyStructure))
                items = itemsWithStructure(envelope: envelope, bodyStructure: bodyStructure,
                                           metadata: metadata(content: content), message: parsed, uid: message.uid)
            } else {
                items = FetchResponder.items(for: attributes, metadata: metadata(content: content), message: parsed, includeUID: uid)
            }
        }
        if entry.flagsChanged, !attributes.contains(.flags) { items.append(.flags(flags)) }
        return items
    }

    /// The items asked, ENVELOPE and BODYSTRUCTURE in their encoded form; UID first when
    /// UID FETCH adds it.
    private func itemsWithStructure(envelope: [UInt8], bodyStructure: [UInt8], metadata: MessageMetadata,
                                    message: ParsedMessage?, uid messageUID: UInt32) -> [IMAPFetchItem] {
        var items: [IMAPFetchItem] = uid && !attributes.contains(.uid) ? [.uid(messageUID)] : []
        for attribute in attributes {
            switch attribute {
            case .envelope: items.append(.encoded(envelope))
            case .bodyStructure: items.append(.encoded(bodyStructure))
            default: items += FetchResponder.items(for: [attribute], metadata: metadata, message: message, includeUID: false)
            }
        }
        return items
    }

    private func cachedStructure(uid: UInt32) -> (envelope: [UInt8]?, bodyStructure: [UInt8]?)? {
        cachedStructures[uid]
    }
}
