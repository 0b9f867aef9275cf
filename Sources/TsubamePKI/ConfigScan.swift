import Foundation

/// Reads single string settings from `tsubame.toml` with a line scan, for the certificate
/// commands, which must work even when the rest of the configuration does not load.
public enum ConfigScan {
    /// The value of `key = "..."` in `table` ("" for the top level, before any [table]), or nil.
    public static func string(_ key: String, table: String = "", in text: String) -> String? {
        var current = ""
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                current = line.dropFirst().prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces)
                continue
            }
            guard current == table, let equals = line.firstIndex(of: "=") else { continue }
            guard line[..<equals].trimmingCharacters(in: .whitespaces) == key else { continue }
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard value.hasPrefix("\""), let end = value.dropFirst().firstIndex(of: "\"") else { return nil }
            return String(value[value.index(after: value.startIndex)..<end])
        }
        return nil
    }

    /// `hostname` from `DIR/tsubame.toml`, or nil when the file or the key is missing.
    public static func hostname(dataDirectory: String) -> String? {
        guard let text = try? PEMFiles.readText("\(dataDirectory)/tsubame.toml") else { return nil }
        return string("hostname", in: text)
    }
}
