/// SetAlgebra over the bits of one integer: a 100,000-message folder keeps a byte or a word per
/// message instead of hashed sets (SEARCH UNSEEN and STATUS test every message).
public protocol BitFlagSet: SetAlgebra, Sequence, Hashable, Sendable where Element: Sendable {
    associatedtype Bits: FixedWidthInteger & Sendable
    var bits: Bits { get set }
    init(bits: Bits)
    /// The element's bit; 0 for one the set cannot hold (it is never inserted).
    static func bit(_ element: Element) -> Bits
    /// Every element the set can hold, in iteration order.
    static var allElements: [Element] { get }
}

extension BitFlagSet {
    public init() { self.init(bits: 0) }
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
        return (!had && Self.bit(member) != 0, member)
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

    public func makeIterator() -> IndexingIterator<[Element]> {
        Self.allElements.filter { contains($0) }.makeIterator()
    }
}

/// The system flags of one message, in the order of `SystemFlag.allCases`.
public struct SystemFlagSet: BitFlagSet {
    public typealias Element = MaildirFlags.SystemFlag
    public typealias ArrayLiteralElement = MaildirFlags.SystemFlag
    public var bits: UInt8
    public init(bits: UInt8) { self.bits = bits }
    public static let allElements = MaildirFlags.SystemFlag.allCases

    public static func bit(_ flag: MaildirFlags.SystemFlag) -> UInt8 {
        switch flag {
        case .draft: 1
        case .flagged: 2
        case .passed: 4
        case .answered: 8
        case .seen: 16
        case .deleted: 32
        }
    }
}

/// Keyword indexes 0–25 (`a`–`z`, MaildirFlags.maximumKeywords), ascending.
public struct KeywordIndexSet: BitFlagSet {
    public typealias Element = Int
    public typealias ArrayLiteralElement = Int
    public var bits: UInt32
    public init(bits: UInt32) { self.bits = bits }
    public static let allElements = Array(0..<MaildirFlags.maximumKeywords)

    public static func bit(_ index: Int) -> UInt32 {
        (0..<MaildirFlags.maximumKeywords).contains(index) ? 1 << UInt32(index) : 0
    }
}
