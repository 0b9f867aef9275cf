import Foundation
@testable import MailAuthentication

/// Scans `text` (LF or CRLF line ends; CRLF is turned into LF first, as the SMTP decoder
/// does) in pieces of `pieceSize` octets.
func dkimScan(_ text: String, _ purpose: DKIMContentScanner.Purpose = .verifying(maximumSignatures: 5),
              pieceSize: Int = 7) -> ScannedMessage {
    dkimScan(bytes: Array(text.utf8), purpose, pieceSize: pieceSize)
}

func dkimScan(bytes: [UInt8], _ purpose: DKIMContentScanner.Purpose = .verifying(maximumSignatures: 5),
              pieceSize: Int = 7) -> ScannedMessage {
    let local = crlfToLF(bytes)
    var scanner = DKIMContentScanner(purpose: purpose)
    var start = 0
    while start < local.count {
        let end = min(start + pieceSize, local.count)
        local[start..<end].withUnsafeBytes { scanner.scan($0) }
        start = end
    }
    return scanner.finish()
}

func crlfToLF(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = 0
    while index < bytes.count {
        if bytes[index] == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A {
            index += 1
            continue
        }
        out.append(bytes[index])
        index += 1
    }
    return out
}

func lfToCRLF(_ text: String) -> String {
    text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
}

/// RFC 8463 Appendix A: the example message with its two signatures (A.3) and the key
/// records (A.2). The RSA key is 1024 bits.
enum RFC8463Example {
    static let message = """
        DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;
         d=football.example.com; i=@football.example.com;
         q=dns/txt; s=brisbane; t=1528637909; h=from : to :
         subject : date : message-id : from : subject : date;
         bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
         b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus
         Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==
        DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;
         d=football.example.com; i=@football.example.com;
         q=dns/txt; s=test; t=1528637909; h=from : to : subject :
         date : message-id : from : subject : date;
         bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
         b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3
         DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz
         dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=
        From: Joe SixPack <joe@football.example.com>
        To: Suzie Q <suzie@shopping.example.net>
        Subject: Is dinner ready?
        Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)
        Message-ID: <20030712040037.46341.5F8J@football.example.com>

        Hi.

        We lost the game.  Are you hungry yet?

        Joe.

        """

    static let edRecord = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
    static let rsaRecord = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
        + "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
        + "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
        + "Ip3G+2kryOTIKT+l/K4w3QIDAQAB"

    static var dns: InMemoryDNS {
        var dns = InMemoryDNS()
        dns.addTXT("brisbane._domainkey.football.example.com", edRecord)
        dns.addTXT("test._domainkey.football.example.com", rsaRecord)
        return dns
    }
}
