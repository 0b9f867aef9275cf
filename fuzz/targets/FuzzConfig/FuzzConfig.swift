import FuzzSupport
import TsubameConfig

/// tsubame.toml: `ConfigLoader.parse` on arbitrary text (TOMLKit's parser, the schema, the
/// key-to-line index for messages).
/// - It never traps; every issue has a message, and a line number, when given, is in the file.
/// - A configuration it accepts is written back by `ConfigTemplate.render` (what
///   `tsubame init` writes) as a file that parses to a configuration rendering the same text:
///   whatever a user may put in a value survives the template.
func fuzzConfig(_ input: FuzzInput) {
    var input = input
    let text = String(decoding: input.rest(), as: UTF8.self)
    let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
    switch ConfigLoader.parse(text) {
    case .failure(let issues):
        precondition(!issues.issues.isEmpty, "a failure without issues")
        for issue in issues.issues {
            precondition(!issue.message.isEmpty, "an issue without a message")
            if let line = issue.line { precondition((1...lineCount + 1).contains(line), "issue at line \(line) of \(lineCount)") }
        }
    case .success(let config):
        let rendered = ConfigTemplate.render(config)
        switch ConfigLoader.parse(rendered) {
        case .failure(let issues):
            preconditionFailure("the rendered configuration does not parse: \(issues)\n\(rendered)")
        case .success(let again):
            precondition(ConfigTemplate.render(again) == rendered, "the rendered configuration reads back differently")
            precondition(again.listeners == config.listeners && again.hostname == config.hostname
                         && again.smtp == config.smtp && again.tls.certificate == config.tls.certificate,
                         "the rendered configuration reads back with other values")
        }
    }
}
