import Foundation
import MailAuthentication
import Testing

/// RFC 7489 §3.2's organizational domain from the Public Suffix List.
@Suite struct DMARCPublicSuffixListTests {
    static let smallList = """
        // A comment, then rules as publicsuffix.org writes them.
        com
        uk
        co.uk
        *.ck
        !www.ck
        jp
        *.kawasaki.jp
        !city.kawasaki.jp
        Example.TEST trailing text after whitespace is ignored
        """

    @Test(arguments: [
        ("example.com", "example.com"),
        ("mail.example.com", "example.com"),
        ("A.B.Example.COM.", "example.com"),
        ("example.co.uk", "example.co.uk"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("co.uk", "co.uk"),                          // a public suffix is its own
        ("foo.bar.ck", "foo.bar.ck"),                // *.ck: bar.ck is a suffix
        ("www.ck", "www.ck"),                        // !www.ck: an exception
        ("a.www.ck", "www.ck"),
        ("a.city.kawasaki.jp", "city.kawasaki.jp"),
        ("a.b.other.kawasaki.jp", "b.other.kawasaki.jp"),
        ("x.y.example.test", "y.example.test"),
        ("a.b.unlisted", "b.unlisted"),              // the implicit "*" rule
    ])
    func findsTheOrganizationalDomainWithASmallList(domain: String, expected: String) {
        #expect(PublicSuffixList(text: Self.smallList).organizationalDomain(of: domain) == expected)
    }

    @Test func fallsBackToTheLastTwoLabelsWithoutAList() {
        let list = PublicSuffixList.load(paths: ["/nonexistent/public_suffix_list.dat"])
        #expect(list.organizationalDomain(of: "a.b.example.co.uk") == "co.uk")
        #expect(list.organizationalDomain(of: "mail.example.com") == "example.com")
    }

    static let debianList = PublicSuffixList.standardPaths[0]

    @Test(.enabled(if: FileManager.default.fileExists(atPath: debianList)), arguments: [
        ("co.uk", "co.uk"),
        ("example.com", "example.com"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("a.city.kawasaki.jp", "city.kawasaki.jp"),
        ("www.example.ck", "www.example.ck"),
        ("a.www.ck", "www.ck"),
        ("mail.example.github.io", "example.github.io"),  // a private-section suffix
    ])
    func findsTheOrganizationalDomainWithDebiansList(domain: String, expected: String) {
        #expect(PublicSuffixList.load().organizationalDomain(of: domain) == expected)
    }
}
