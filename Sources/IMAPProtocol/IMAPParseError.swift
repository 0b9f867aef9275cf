/// Why a command did not parse: the text for `tag BAD text` (`* BAD` when there is no tag).
public struct IMAPParseError: Error, Equatable, Sendable {
    public var text: String

    public init(_ text: String) {
        self.text = text
    }
}

/// A command that did not parse, with its tag when the tag itself was readable.
public struct IMAPCommandError: Error, Equatable, Sendable {
    public var tag: String?
    public var text: String

    public init(tag: String?, text: String) {
        self.tag = tag
        self.text = text
    }
}
