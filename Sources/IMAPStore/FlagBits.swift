/// The system flags of one message as bits: a 100,000-message folder keeps one byte per
/// message instead of a hashed set (SEARCH UNSEEN and STATUS test every message).
public struct SystemFlagSet: SetAlgebra, Sequence, Hashable, Sendable {
    public typealias Element = MaildirFlags.SystemFlag
    public private(set) var bits: UInt8

    public init() { bits = 0 }
    init(bits: UInt8) { self.bits = bits }

    private static func bit(_ flag: Element) -> UInt8 {
        switch flag {
        case .draft: 1
        case .flagged: 2
        case .passed: 4
        case .answered: 8
        case .seen: 16
        case .deleted: 32
        }
    }

    public var isEmpty: Bool { bits == 0 }
    public var count: Int { bits.nonzeroBitCount }
    public func contains(_ member: Element) -> Bool { bits & Self.bit(member) != 0 }
    public func union(_ other: Self) -> Self { Self(bits: bits | other.bits) }
    public func intersection(_ other: Self) -> Self { Self(bits: bits & other.bits) }
    public func symmetricDifference(_ other: Self) -> Self { Self(bits: bits ^ other.bits) }
    public mutating func formUnion(_ other: Self) { bits |= other.bits }
    public mutating func formIntersection(_ other: Self) { bits &= other.bits }
    public mutating func formSymmetricDifference(_ other: Self) { bits ^= other.bits }

    @discardableResult
    public mutating func insert(_ member: Element) -> (inserted: Bool, memberAfterInsert: Element) {
        let had = contains(member)
        bits |= Self.bit(member)
        return (!had, member)
    }

    @discardableResult
    public mutating func remove(_ member: Element) -> Element? {
        guard contains(member) else { return nil }
        bits &= ~Self.bit(member)
        return member
    }

    @discardableResult
    public mutating func update(with member: Element) -> Element? {
        let had = contains(member)
        bits |= Self.bit(member)
        return had ? member : nil
    }

    /// In the order of `SystemFlag.allCases`.
    public func makeIterator() -> IndexingIterator<[Element]> {
        Element.allCases.filter { contains($0) }.makeIterator()
    }
}

/// Keyword indexes 0–25 (`a`–`z`, MaildirFlags.maximumKeywords) as bits.
public struct KeywordIndexSet: SetAlgebra, Sequence, Hashable, Sendable {
    public typealias Element = Int
    public private(set) var bits: UInt32

    public init() { bits = 0 }
    init(bits: UInt32) { self.bits = bits }

    private static func bit(_ index: Int) -> UInt32 {
        (0..<MaildirFlags.maximumKeywords).contains(index) ? 1 << UInt32(index) : 0
    }

    public var isEmpty: Bool { bits == 0 }
    public var count: Int { bits.nonzeroBitCount }
    public func contains(_ member: Int) -> Bool { Self.bit(member) != 0 && bits & Self.bit(member) != 0 }
    public func union(_ other: Self) -> Self { Self(bits: bits | other.bits) }
    public func intersection(_ other: Self) -> Self { Self(bits: bits & other.bits) }
    public func symmetricDifference(_ other: Self) -> Self { Self(bits: bits ^ other.bits) }
    public mutating func formUnion(_ other: Self) { bits |= other.bits }
    public mutating func formIntersection(_ other: Self) { bits &= other.bits }
    public mutating func formSymmetricDifference(_ other: Self) { bits ^= other.bits }

    /// An index outside 0–25 is not a keyword a file name can carry: it is never inserted.
    @discardableResult
    public mutating func insert(_ member: Int) -> (inserted: Bool, memberAfterInsert: Int) {
        let had = contains(member)
        bits |= Self.bit(member)
        return (!had && Self.bit(member) != 0, member)
    }

    @discardableResult
    public mutating func remove(_ member: Int) -> Int? {
        guard contains(member) else { return nil }
        bits &= ~Self.bit(member)
        return member
    }

    @discardableResult
    public mutating func update(with member: Int) -> Int? {
        let had = contains(member)
        bits |= Self.bit(member)
        return had ? member : nil
    }

    /// Ascending.
    public func makeIterator() -> IndexingIterator<[Int]> {
        (0..<MaildirFlags.maximumKeywords).filter { contains($0) }.makeIterator()
    }
}
