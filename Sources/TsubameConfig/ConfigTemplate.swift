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
        text += "# submissions 465, pop3 110, pop3s 995. A listener's address changes need a restart.\n"
        for name in ListenerName.allCases {
            if let address = config.listeners[name] {
                text += "\(name.rawValue) = \"\(address)\"\n"
            } else {
                let note = name == .submission || name == .submissions ? "   # no SMTP AUTH yet: mail for local users only" : ""
                text += "# \(name.rawValue) = \"0.0.0.0:\(name.standardPort)\"\(note)\n"
            }
        }
        for table in ConfigSchema.tables where table != "listeners" {
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
}
