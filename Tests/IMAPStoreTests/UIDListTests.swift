import Testing
@testable import IMAPStore

@Suite struct UIDListTests {
    static let guid = "3085f01b7f11094c501100008c4a11c1"

    @Test func parsesDovecotsVersion3File() throws {
        let list = try UIDList(parsing: """
            3 V1275660208 N25022 G\(Self.guid)
            25020 W2471 S2412 :1275660001.M1P2.host,S=2412,W=2471
            25021 P1275660002.M1P3Q1.host :1275660002.M1P3Q1.host,S=10,W=12

            """)
        #expect(list.uidValidity == 1_275_660_208)
        #expect(list.nextUID == 25022)
        #expect(list.mailboxGUID == Self.guid)
        #expect(list.records.map(\.uid) == [25020, 25021])
        #expect(list.records[0].fileStem == "1275660001.M1P2.host,S=2412,W=2471")
        #expect(list.records[0].virtualSize == 2471)
        #expect(list.records[0].physicalSize == 2412)
        #expect(list.records[0].pop3UIDL == nil)
        #expect(list.records[1].pop3UIDL == "1275660002.M1P3Q1.host")
        #expect(!list.needsRewrite)
    }

    @Test func nextUIDIsAboveLinesAppendedWithoutRaisingN() throws {
        let list = try UIDList(parsing: "3 V5 N3 G\(Self.guid)\n1 :a\n2 :b\n7 :c\n")
        #expect(list.headerNextUID == 3)
        #expect(list.nextUID == 8)
    }

    @Test func keepsNWhenItIsAboveTheLastUID() throws {
        let list = try UIDList(parsing: "3 V5 N40 G\(Self.guid)\n1 :a\n")
        #expect(list.nextUID == 40)
    }

    @Test func toleratesVariants() throws {
        let list = try UIDList(parsing: """
            3 N9 X-unknown V77 G\(Self.guid)
            3 G0123456789abcdef0123456789abcdef M42 :c,S=1:2,FS
            1 W5 :a
            2 b
            bogus line
            0 :zero
            4 lowercase-field :d

            """)
        #expect(list.uidValidity == 77)
        #expect(list.otherHeaderFields == ["X-unknown"])
        #expect(list.records.map(\.uid) == [1, 2, 3, 4])
        #expect(list.records.map(\.fileStem) == ["a", "b", "c,S=1", "d"])
        #expect(list.records[2].field("M") == "42")
        #expect(list.records[3].fields.isEmpty)
    }

    @Test func theLaterLineWinsForANameListedTwice() throws {
        let list = try UIDList(parsing: "3 V1 N1 G\(Self.guid)\n1 :a\n2 :b\n3 :a\n")
        #expect(list.records.map(\.uid) == [2, 3])
        #expect(list.records.map(\.fileStem) == ["b", "a"])
    }

    @Test func readsVersion1AndAsksForARewrite() throws {
        let list = try UIDList(parsing: "1 1000 5\n1 1.M1P1.h:2,S\n4 2.M1P1.h\n")
        #expect(list.uidValidity == 1000)
        #expect(list.records.map(\.fileStem) == ["1.M1P1.h", "2.M1P1.h"])
        #expect(list.nextUID == 5)
        #expect(list.needsRewrite)
    }

    @Test(arguments: ["", "2 V1 N1", "3 N5 G\(guid)", "3 V5 G\(guid)", "x V1 N1", "3 V1 N1 Gnothex"])
    func rejectsABrokenHeader(_ text: String) {
        #expect(throws: UIDListError.self) { try UIDList(parsing: text) }
    }

    @Test func writesTheHeaderAndRecordsAsDovecotDoes() throws {
        var record = UIDListRecord(uid: 1, fileStem: "1.M2P3Q4.host,S=5,W=6")
        record.setField("P", "1.M2P3Q4.host")
        let list = UIDList(uidValidity: 99, nextUID: 1, mailboxGUID: Self.guid,
                           records: [record, UIDListRecord(uid: 3, fileStem: "b")])
        #expect(list.text == "3 V99 N4 G\(Self.guid)\n1 P1.M2P3Q4.host :1.M2P3Q4.host,S=5,W=6\n3 :b\n")
        #expect(try UIDList(parsing: list.text).records == list.records)
    }

    @Test func generatesHexGUIDs() {
        let guid = MailboxGUID.generate()
        #expect(guid.count == 32)
        #expect(MailboxGUID.isValid(guid))
        #expect(guid != MailboxGUID.generate())
    }
}
