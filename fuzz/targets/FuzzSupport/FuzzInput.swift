/// The fuzzer's bytes read as a stream of choices: a few leading bytes pick parameters (a
/// limit, where to split the input), the rest is the data under test. Reading past the end
/// yields zeros, so every input, even an empty one, is a valid run.
public struct FuzzInput: Sendable {
    public let bytes: [UInt8]
    public private(set) var index = 0

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        guard let data, size > 0 else {
            self.init([])
            return
        }
        self.init(Array(UnsafeBufferPointer(start: data, count: size)))
    }

    public var isAtEnd: Bool { index >= bytes.count }

    public mutating func byte() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    /// A number in `range`, from one byte (or two when the range is wider than 256).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let width = range.upperBound - range.lowerBound + 1
        let raw = width > 256 ? Int(byte()) << 8 | Int(byte()) : Int(byte())
        return range.lowerBound + raw % width
    }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    /// Everything not read yet.
    public mutating func rest() -> [UInt8] {
        defer { index = bytes.count }
        return index < bytes.count ? Array(bytes[index...]) : []
    }
}

/// Where to cut a byte stream into the reads a socket might deliver: `lengths` (each at
/// least 1) are used in turn, cyclically, until `count` bytes are covered.
public struct SplitPlan: Sendable {
    public let lengths: [Int]

    /// Reads `pieces` lengths of 1...256 octets from `input` (a zero byte gives 1: one octet
    /// at a time, the hardest case for a decoder).
    public init(_ input: inout FuzzInput, pieces: Int = 4) {
        lengths = (0..<pieces).map { _ in Int(input.byte()) + 1 }
    }

    public init(lengths: [Int]) {
        precondition(!lengths.isEmpty && lengths.allSatisfy { $0 > 0 })
        self.lengths = lengths
    }

    /// The ranges of `0..<count`, in order, covering it exactly.
    public func ranges(covering count: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        var turn = 0
        while start < count {
            let end = min(count, start + lengths[turn % lengths.count])
            ranges.append(start..<end)
            start = end
            turn += 1
        }
        return ranges
    }
}
