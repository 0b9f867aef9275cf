import IMAPMailbox
import IMAPProtocol
import Logging
import NIOCore

/// Commands of the authenticated and selected states: handed to the mailbox layer and written
/// piece by piece, each piece on the socket before the next is made (backpressure); and the
/// large literals of APPEND, written to files as they arrive.
extension IMAPServerHandler {
    func runMailboxCommand(_ command: IMAPTaggedCommand, context: ChannelHandlerContext) {
        guard let account else { preconditionFailure("a mailbox command without an account") }
        let files = finishedLiterals
        finishedLiterals = []
        let run = account.start(command, streamedLiterals: files.map(\.path))
        produce(run, of: account, tag: command.tag, context: context)
    }

    /// One trip to the storage threads for the next piece; when the tagged response is in it,
    /// the session learns the selection.
    private func produce(_ run: IMAPCommandRun, of account: IMAPAccountSession, tag: String,
                         context: ChannelHandlerContext) {
        let allocator = context.channel.allocator
        let budget = Self.pieceBudget
        let piece = server.storageThreads.runIfActive(eventLoop: context.eventLoop) {
            () -> (ByteBuffer, Bool, Bool) in
            var buffer = allocator.buffer(capacity: 4096)
            let done = try run.writeNext(into: &buffer, budget: budget)
            return (buffer, done, done && account.selection != nil)
        }
        connection.continueAfter(piece, context: context) { result in
            switch result {
            case .success(let (bytes, done, selected)):
                self.output.writeImmutableBuffer(bytes)
                if done {
                    self.session.mailboxCommandFinished(selected: selected)
                    return
                }
                self.connection.continueAfter(self.connection.flushAndWait(context: context), context: context) { _ in
                    self.produce(run, of: account, tag: tag, context: context)
                }
            case .failure(let gone as SelectedMailboxGone):
                // Another session deleted or renamed the selected folder: its messages cannot be
                // numbered any more, so the session ends with BYE (RFC 3501 §7.1.5), in
                // Dovecot's words. Not a server fault: no error logged, no [SERVERBUG].
                self.logger.info("selected mailbox deleted; closing the session")
                self.write(.untagged(.bye(nil, gone.description)))
                self.connection.close(context: context)
            case .failure(let error):
                // Half a response cannot be taken back: the session ends (RFC 3501 §7.1.5).
                self.logger.error("mailbox command failed; closing the session", metadata: ["error": "\(error)"])
                self.write(.untagged(.bye(.serverBug, "Internal error, closing the connection.")))
                self.connection.close(context: context)
            }
        }
    }

    // MARK: Streamed literals

    /// Octets of a literal above the inline threshold (only after login: before it the limits
    /// keep every literal inline and small). Gathered up to `literalWriteSize`, then written on a
    /// storage thread while input waits.
    func receiveLiteralBytes(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        guard let account else {
            // Cannot happen with the unauthenticated limits; refuse to hold anything.
            logger.error("streamed literal before login; disconnecting")
            connection.close(context: context)
            return
        }
        let file = literalInProgress ?? StreamedLiteralFile(path: account.temporaryLiteralPath())
        literalInProgress = file
        var pending = literalPending
        pending.writeImmutableBuffer(bytes)
        let complete = framer.literalOctetsRemaining == 0
        guard complete || pending.readableBytes >= Self.literalWriteSize else {
            literalPending = pending
            return
        }
        literalPending = ByteBuffer()
        let toWrite = pending
        if complete {
            literalInProgress = nil
            finishedLiterals.append(file)
        }
        let writing = server.storageThreads.runIfActive(eventLoop: context.eventLoop) {
            try file.append(toWrite)
            if complete { try file.finish() }
        }
        connection.continueAfter(writing, context: context) { result in
            if case .failure(let error) = result {
                self.logger.error("cannot store a literal; closing the session", metadata: ["error": "\(error)"])
                self.discardLiterals()
                self.write(.untagged(.bye(.serverBug, "Cannot store the literal, closing the connection.")))
                self.connection.close(context: context)
            }
        }
    }

    /// The command's literal files go: it was refused, or the connection ended.
    func discardLiterals() {
        let files = finishedLiterals + (literalInProgress.map { [$0] } ?? [])
        finishedLiterals = []
        literalInProgress = nil
        literalPending = ByteBuffer()
        guard !files.isEmpty else { return }
        server.storageThreads.submit { _ in files.forEach { $0.discard() } }
    }
}
