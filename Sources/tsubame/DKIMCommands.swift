import ArgumentParser
import MailAuthentication
import TsubameServer

/// `tsubame dkim keygen|list|show|activate|retire`: the signing keys in DATA/dkim. The server
/// reads them for each message it signs, so changes count at once, without a reload.
struct DKIMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dkim", abstract: "Manage the DKIM keys outgoing mail is signed with.",
        discussion: """
            Two selectors per domain, so keys can be rotated: make a new key, publish its record, \
            activate it once the record is visible, and retire the old one (its record then becomes an empty p=).
            """,
        subcommands: [Keygen.self, List.self, Show.self, Activate.self, Retire.self])

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a key for a domain and print the DNS record to publish.",
            discussion: "The first key of its algorithm becomes active; a later one waits for `tsubame dkim activate`.")
        @Argument(help: "The signing domain, e.g. example.org (it also signs mail from its subdomains).") var domain: String
        @Option(help: "The selector (default: t and the year and month, e.g. t202611).") var selector: String?
        @Option(help: "rsa-2048, rsa-3072 or ed25519.") var key = DKIMKeyKind.rsa2048.rawValue
        @OptionGroup var options: DataOption

        func validate() throws {
            guard DKIMKeyKind(rawValue: key) != nil else {
                throw ValidationError("--key must be one of \(DKIMKeyKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() throws {
            let store = try options.openDKIMKeys()
            let chosen = try selector ?? store.unusedDatedSelector(domain: domain)
            let made = try store.generate(domain: domain, selector: chosen, kind: DKIMKeyKind(rawValue: key)!)
            print("Created \(options.folder.dkimDirectory)/\(made.domain)/\(made.selector).pem (\(DKIMText.describe(made)))")
            print("Publish this record in the zone of \(made.domain):")
            print(DNSRecordPlan.dkimLine(name: made.recordName, record: made.publicKeyRecord))
            if made.active {
                print("Mail from \(made.domain) (and its subdomains) is signed with it now; it verifies once the record is visible: tsubame dns check \(made.domain)")
            } else {
                print("""
                Once the record is visible (tsubame dns check \(made.domain) or dig TXT \(made.recordName)), sign with it:
                  tsubame dkim activate \(made.domain) \(made.selector)
                then, a few days later, retire the old key: tsubame dkim retire \(made.domain) OLD-SELECTOR
                """)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys: domain, selector, algorithm, bits, active.")
        @OptionGroup var options: DataOption

        func run() throws {
            let keys = try options.openDKIMKeys().list()
            guard !keys.isEmpty else { return print("no DKIM keys; make one with `tsubame dkim keygen DOMAIN`") }
            let rows = [["DOMAIN", "SELECTOR", "ALGORITHM", "BITS", "ACTIVE"]] + keys.map {
                [$0.domain, $0.selector, $0.algorithm.rawValue, $0.bitCount.map(String.init) ?? "-", $0.active ? "yes" : "no"]
            }
            let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                print(row.enumerated().map { index, cell in
                    index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
                }.joined(separator: "  "))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the DNS records to publish for a domain's keys.")
        @Argument var domain: String
        @OptionGroup var options: DataOption

        func run() throws {
            let keys = try options.openDKIMKeys().list(domain: domain)
            guard !keys.isEmpty else { throw ValidationError("\(domain) has no DKIM key; make one with `tsubame dkim keygen \(domain)`") }
            for key in keys {
                print("; \(key.selector): \(DKIMText.describe(key))")
                print(DNSRecordPlan.dkimLine(name: key.recordName, record: key.publicKeyRecord))
            }
        }
    }

    struct Activate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign with a selector from now on, in place of the active key of its algorithm.",
            discussion: "Publish its record first: mail signed before the record is visible fails DKIM.")
        @Argument var domain: String
        @Argument var selector: String
        @OptionGroup var options: DataOption

        func run() throws {
            let store = try options.openDKIMKeys()
            try store.activate(domain: domain, selector: selector)
            let active = try store.list(domain: domain).filter(\.active).map(\.selector)
            print("\(domain) signs with \(active.joined(separator: " and ")) from now on.")
            for key in try store.list(domain: domain) where !key.active {
                print("Keep the record of \(key.selector) published for a few days (mail in transit), then: tsubame dkim retire \(key.domain) \(key.selector)")
            }
        }
    }

    struct Retire: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a key that is no longer active and print the record that revokes it (an empty p=).")
        @Argument var domain: String
        @Argument var selector: String
        @OptionGroup var options: DataOption

        func run() throws {
            let store = try options.openDKIMKeys()
            let record = try store.retire(domain: domain, selector: selector)
            let name = "\(selector.lowercased())._domainkey.\(domain.lowercased())"
            print("Deleted the key \(selector.lowercased()) of \(domain.lowercased()). Replace its record with:")
            print(DNSRecordPlan.dkimLine(name: name, record: record))
        }
    }
}

enum DKIMText {
    static func describe(_ key: DKIMKeyStore.Key) -> String {
        let kind = key.bitCount.map { "rsa-\($0)" } ?? "ed25519"
        return "\(kind), \(key.active ? "active" : "not active")"
    }
}

extension DataOption {
    func openDKIMKeys() throws -> DKIMKeyStore {
        guard folder.exists else {
            throw ValidationError("\(folder.path) is not a Tsubame data folder; create it with `tsubame init` or `tsubame serve`")
        }
        // Keys made by root on a folder the server's user owns must stay readable by it.
        try DataFolderOwner.become(of: folder.path)
        return DKIMKeyStore(dataDirectory: folder.path)
    }
}
