/// Messages that exercise MIME and address parsing, stored with LF line ends as a Maildir
/// keeps them. Shared by the unit tests and the Dovecot differential test.
enum TrickyMessages {
    static let mixed = #"""
        From: "Joe Q." <joe@example.com>, (c) x@y
        To: undisclosed-recipients:;
        Cc: grp: a@b, "c d" <c@d>;, e@f
        Subject: =?utf-8?q?caf=C3=A9?= hi
        Date: Tue, 1 Jul 2003 10:52:37 +0200
        Message-ID: <m1@x>
        Content-Type: multipart/Mixed; boundary="XX"

        pre
        --XX

        plain
        --XX
        Content-Type: Text/HTML; Charset=UTF-8
        Content-Transfer-Encoding: Base64
        Content-Disposition: attachment; filename=a.txt
        Content-Language: en, fr
        Content-Location: http://x
        Content-MD5: abc
        Content-ID: <id1>
        Content-Description: desc

        aGVsbG8gd29ybGQ=
        --XX
        Content-Type: message/rfc822

        From: a@b
        Subject: inner

        body
        --XX
        Content-Type: application/octet-stream

        xx
        --XX--
        epi

        """#

    static let noContentType = "Subject: no ct\n\nhello\nworld\n"

    static let digest = "Content-Type: multipart/digest; boundary=b\n\n--b\n\nFrom: x@y\n\ninner\n--b\nContent-Type: text/plain\n\nt\n--b"

    static let typeWithoutSubtype = "Content-Type: text\n\nx\n"

    static let multipartWithoutBoundary = "Content-Type: multipart/mixed\n\nno boundary\n"

    static let boundaryNeverFound = "Content-Type: multipart/mixed; boundary=zz\n\nno delimiter here\n--z\n"

    static let nested = #"""
        From: nest@example.org
        Subject: nested
        MIME-Version: 1.0
        Content-Type: multipart/mixed;
         boundary="outer"

        preamble text
        --outer
        Content-Type: multipart/alternative; boundary=inner

        --inner
        Content-Type: text/plain; charset=iso-8859-1
        Content-Transfer-Encoding: quoted-printable

        caf=E9 au lait=
         soft break
        --inner
        Content-Type: text/html; format=flowed

        <p>html</p>
        --inner--
        inner epilogue
        --outer
        Content-Type: message/rfc822
        Content-Disposition: inline

        From: Inner Person <inner@example.net>
        Subject: enclosed
        Content-Type: multipart/mixed; boundary="deep"

        --deep
        Content-Type: text/plain

        deep one
        --deep
        Content-Type: image/png
        Content-Transfer-Encoding: base64

        iVBORw0KGgo=
        --deep--
        --outer
        Content-Type: text/plain (a comment); charset="us-ascii" (another)

        last part, no close delimiter

        """#

    static let headerOnly = "From: only@header.example\nSubject: no body"

    static let addresses = #"""
        From: Mary Smith <@route.example,@other.example:mary@x.example>
        Sender: "Sender, Quoted" <sender@example.com>
        Reply-To: "john doe"@example.com
        To: foo, <>, Pete(A nice \) chap) <pete(his account)@silly.test(his host)>
        Cc: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Empty Group:;
        Bcc: a@b, , c@d
        Subject: addresses
        In-Reply-To: <parent@example.com>
        Message-ID:    <spaced@example.com>   
        Date: 13 Feb 97 22:01 EST

        body

        """#

    static let encodedWords = #"""
        From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>
        To: =?utf-8?B?5pel5pys6Kqe?= <nihongo@example.jp>
        Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= and
         =?iso-8859-15?q?=A4uro?=
        Date: Mon, 2 Jan 2023 00:30:00 -0800 (PST)
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 8bit

        Grüße aus Köln, STRASSE.

        """#

    static let base64Latin = #"""
        From: latin@example.com
        Subject: base64 latin-1
        Content-Type: text/plain; charset=ISO-8859-1
        Content-Transfer-Encoding: base64

        Q2Fm6SBjcuhtZSBicvts6WU=

        """#

    static let rfc2231 = #"""
        From: params@example.com
        Content-Type: application/x-stuff;
         title*0*=us-ascii'en'This%20is%20even%20more%20;
         title*1*=%2A%2A%2Afun%2A%2A%2A%20;
         title*2="isn't it!"
        Content-Disposition: attachment; filename*=utf-8''%E2%82%AC.txt

        data

        """#

    static let crlfFolding = "Subject: folded\n\tsubject line\nX-Long: a\n  b\n   c\nFrom: fold@example.com\nX-Empty:\n\nbody\n"

    static let textNoCharsetParams = "Content-Type: text/html; format=flowed; delsp=yes\nContent-Transfer-Encoding: QUOTED-PRINTABLE\n\n=3Cb=3E\n"

    static let upperCaseMultipart = "Subject: first\nSubject: second\nContent-Type: MULTIPART/ALTERNATIVE; BOUNDARY=\"b c\"\n\n--b c\nContent-Type: TEXT/PLAIN; CHARSET=UTF-8\n\nSchöne Grüße\n--b c  \n\n8bit without header é\n--b c--\n"

    static let oddAddresses = #"""
        From: <a@b>
        Sender: "Quoted "x"" <q@x>
        Reply-To: user@[1.2.3.4]
        To: a@b (Comment Name), "" <empty@name>, first.last@dot.example, "a@b" <c@d>
        Cc: =?utf-8?q?Gr=C3=BCn?= <gruen@example.de>, undisclosed:;, x@y
        Message-ID: <a@b> (comment)
        In-Reply-To: <x@y> <z@w>

        text

        """#

    static let crInside = "Subject: cr\rinside\nContent-Type: text/plain\n\nline one\rstill one\nline two\n"

    static let all: [(name: String, text: String)] = [
        ("mixed", mixed), ("noContentType", noContentType), ("digest", digest), ("typeWithoutSubtype", typeWithoutSubtype),
        ("multipartWithoutBoundary", multipartWithoutBoundary), ("boundaryNeverFound", boundaryNeverFound),
        ("nested", nested), ("headerOnly", headerOnly), ("addresses", addresses), ("encodedWords", encodedWords),
        ("base64Latin", base64Latin), ("rfc2231", rfc2231), ("crlfFolding", crlfFolding),
        ("textNoCharsetParams", textNoCharsetParams), ("upperCaseMultipart", upperCaseMultipart),
        ("oddAddresses", oddAddresses), ("crInside", crInside),
    ]
}
