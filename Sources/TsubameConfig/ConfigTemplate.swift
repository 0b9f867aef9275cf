/// The commented tsubame.toml that `tsubame init` writes: every key with its value.
public enum ConfigTemplate {
    /// `listeners` are written as given; the others are written commented out, with their
    /// standard ports, so the file documents them.
    public static func render(_ config: TsubameConfiguration) -> String {
        var text = """
        # Tsubame configuration. `tsubame config check` validates this file; SIGHUP reloads it.
        # Domains, users and aliases live in directory.sqlite: see `tsubame domain|user|alias --help`.


        """
        for setting in ConfigSchema.settings where setting.table == nil {
            text += "# \(setting.comment)\n\(setting.name) = \(setting.render(config))\n"
        }
        text += "\n[listeners]\n"
        text += "# NAME = \"HOST:PORT\" (\"[::]:PORT\" for IPv6). Standard ports: smtp 25, submission 587,\n"
        text += "# submissions 465, pop3 110, pop3s 995, imap 143, imaps 993. A listener's address changes need a restart.\n"
        for name in ListenerName.allCases {
            if let address = config.listeners[name] {
                text += "\(name.rawValue) = \(basicString(address.description))\n"
            } else {
                text += "# \(name.rawValue) = \"0.0.0.0:\(name.standardPort)\"\n"
            }
        }
        for table in ConfigSchema.tables where table != "listeners" {
            if let entries = ConfigSchema.entryTables.first(where: { $0.name == table }) {
                text += "\n" + entries.render(config)
                continue
            }
            let settings = ConfigSchema.settings.filter { $0.table == table }
            text += "\n"
            for line in ConfigSchema.tableNotes[table]?.split(separator: "\n") ?? [] { text += "# \(line)\n" }
            // A table with nothing set (e.g. [limits.pop3s]) is written commented out, header too.
            text += settings.contains { $0.isSet(config) } ? "[\(table)]\n" : "# [\(table)]\n"
            for setting in settings {
                let prefix = setting.isSet(config) ? "" : "# "
                text += "# \(setting.comment)\n\(prefix)\(setting.name) = \(setting.render(config))\n"
            }
        }
        return text
    }

    /// A TOML basic string (TOML 1.0 "String"): quote, backslash and control characters escaped,
    /// so any value the loader accepted is written back as the same value.
    static func basicString(_ value: String) -> String {
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{00}"..."\u{1F}", "\u{7F}":
                let hex = String(scalar.value, radix: 16, uppercase: true)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }
}
