#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TOMLKit

/// Reads tsubame.toml into a `TsubameConfiguration`, collecting every problem with its line.
public enum ConfigLoader {
    public static func parse(_ text: String) -> Result<TsubameConfiguration, ConfigIssues> {
        if let line = unnamedTableHeaderLine(text) {
            return .failure(ConfigIssues([ConfigIssue(key: "(syntax)", line: line,
                                                      message: "a table header needs a name, as in [smtp]")]))
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            return .failure(ConfigIssues([ConfigIssue(key: "(syntax)", line: error.source.begin.line, message: error.description)]))
        } catch {
            return .failure(ConfigIssues([ConfigIssue(key: "(syntax)", line: nil, message: "\(error)")]))
        }
        let lines = KeyLineIndex(text)
        var config = TsubameConfiguration()
        config.listeners = [:]
        var issues: [ConfigIssue] = []
        func report(_ key: String, _ message: String) {
            issues.append(ConfigIssue(key: key, line: lines[key], message: message))
        }

        func readSettings(of tableName: String, _ subtable: TOMLTable) {
            for name in subtable.keys {
                let fullKey = "\(tableName).\(name)"
                if ConfigSchema.tables.contains(fullKey) {
                    readTable(fullKey, subtable[name]!)
                    continue
                }
                guard let setting = ConfigSchema.settings.first(where: { $0.key == fullKey }) else {
                    report(fullKey, subtable[name]?.table == nil ? "unknown key" : "unknown table")
                    continue
                }
                if let problem = setting.read(subtable[name]!, &config) { report(fullKey, problem) }
            }
        }

        // A table of settings, or of domain entries ([delivery.routes]); nested tables recurse.
        func readTable(_ name: String, _ value: TOMLValueConvertible) {
            guard let subtable = value.table else {
                report(name, "must be a table ([\(name)])")
                return
            }
            if let entries = ConfigSchema.entryTables.first(where: { $0.name == name }) {
                entries.read(subtable, into: &config, report: report)
            } else {
                readSettings(of: name, subtable)
            }
        }

        for key in table.keys {
            guard let value = table[key] else { continue }
            if key == "listeners" {
                guard let subtable = value.table else {
                    report(key, "must be a table ([\(key)])")
                    continue
                }
                readListeners(subtable, into: &config, report: report)
            } else if ConfigSchema.tables.contains(key) {
                readTable(key, value)
            } else if ConfigSchema.tables.contains(where: { $0.hasPrefix("\(key).") }) {
                // [limits.NAME]: TOML nests the tables under "limits".
                guard let parent = value.table else {
                    report(key, "must be a table ([\(key).NAME])")
                    continue
                }
                for name in parent.keys {
                    let fullName = "\(key).\(name)"
                    let known = ConfigSchema.tables.filter { $0.hasPrefix("\(key).") }
                    guard known.contains(fullName) else {
                        report(fullName, "unknown table; known: \(known.joined(separator: ", "))")
                        continue
                    }
                    guard let subtable = parent[name]?.table else {
                        report(fullName, "must be a table ([\(fullName)])")
                        continue
                    }
                    readSettings(of: fullName, subtable)
                }
            } else if let setting = ConfigSchema.settings.first(where: { $0.table == nil && $0.name == key }) {
                if let problem = setting.read(value, &config) { report(key, problem) }
            } else {
                report(key, "unknown key")
            }
        }
        if table["hostname"] == nil { report("hostname", "missing; set it to this server's DNS name") }
        if config.server.user.isEmpty && !config.server.group.isEmpty { report("server.group", "needs [server] user") }
        ConfigSchema.checkOutbound(config, isSet: { lines[$0] != nil }, report: report)
        if config.listeners.isEmpty { report("listeners", "no listener configured; add e.g. smtp = \"0.0.0.0:25\"") }
        issues.sort { ($0.line ?? 0) < ($1.line ?? 0) }
        return issues.isEmpty ? .success(config) : .failure(ConfigIssues(issues))
    }

    /// The line of a table header whose name does not start like a key ("[.smtp]", "[=]", a
    /// lone "["), or nil. Found by FuzzConfig: TOMLKit 0.6.0's toml++ asserts on those and aborts
    /// the process, so a typo would kill `serve` at start or on a SIGHUP reload. The one array
    /// setting, `[dns] nameservers`, holds strings, so a line of it that starts with "[" goes on
    /// with a quote and passes; any other line starting with "[" is a table header or a refused file.
    static func unnamedTableHeaderLine(_ text: String) -> Int? {
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), open = UInt8(ascii: "[")
        // Octets, not Characters: "\r\n" is one Character, and toml++ counts lines by LF.
        for (number, line) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            var rest = line.drop { $0 == space || $0 == tab }
            guard rest.first == open else { continue }
            rest = rest.dropFirst()
            if rest.first == open { rest = rest.dropFirst() }  // [[array of tables]]
            rest = rest.drop { $0 == space || $0 == tab }
            // A bare key (A-Z a-z 0-9 _ -), a quoted key, or "]" (an empty name toml++ reports).
            guard let first = rest.first,
                  (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) || Array("_-\"']".utf8).contains(first)
            else { return number + 1 }
        }
        return nil
    }

    private static func readListeners(_ table: TOMLTable, into config: inout TsubameConfiguration,
                                      report: (String, String) -> Void) {
        for name in table.keys {
            let key = "listeners.\(name)"
            guard let listener = ListenerName(rawValue: name) else {
                report(key, "unknown listener; known: \(ListenerName.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            guard let text = table[name]?.string, let address = ListenAddress(parsing: text) else {
                report(key, "must be a string \"HOST:PORT\" (IPv6 as \"[::1]:PORT\")")
                continue
            }
            config.listeners[listener] = address
        }
    }

    /// Reads and parses the file; a missing or unreadable file is one issue.
    public static func load(path: String) -> Result<TsubameConfiguration, ConfigIssues> {
        guard let text = readFile(path) else {
            return .failure(ConfigIssues([ConfigIssue(key: "(file)", line: nil, message: "cannot read \(path): \(String(cString: strerror(errno)))")]))
        }
        return parse(text)
    }

    static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Finds the line of each "table.key = ..." in the text, for error messages; TOMLKit does
/// not expose the positions of parsed values.
struct KeyLineIndex {
    private var lines: [String: Int] = [:]

    init(_ text: String) {
        var table: String?
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("[") {
                let name = line.dropFirst().prefix { $0 != "]" }.trimmingCharacters(in: " ")
                table = name
                if lines[name] == nil { lines[name] = number + 1 }
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<equals].trimmingCharacters(in: " \t\"")
                let full = table.map { "\($0).\(key)" } ?? key
                if lines[full] == nil { lines[full] = number + 1 }
            }
        }
    }

    subscript(key: String) -> Int? { lines[key] }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var slice = self
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
