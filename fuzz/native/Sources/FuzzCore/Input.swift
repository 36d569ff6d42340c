// The fuzzer's bytes as a stream of choices: every read past the end yields zeros, so any input
// decodes to some case and a short input is a small case.

struct Input {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var isEmpty: Bool { position >= bytes.count }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// A value in `0..<bound` (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(byte()) % bound }

    mutating func bool() -> Bool { byte() & 1 == 1 }

    /// A small signed value in `-range...range`.
    mutating func small(_ range: Int) -> Int { below(2 * range + 1) - range }

    mutating func int64() -> Int {
        var v: UInt64 = 0
        for _ in 0..<8 { v = v << 8 | UInt64(byte()) }
        return Int(truncatingIfNeeded: v)
    }

    /// Mostly small values, sometimes the extremes a Python caller can pass (slice bounds come
    /// through PySlice_Unpack, so never below -Int.max).
    mutating func sliceBound() -> Int {
        switch below(16) {
        case 0: return Int.max
        case 1: return -Int.max
        case 2: let v = int64(); return v == Int.min ? -Int.max : v
        default: return small(8)
        }
    }

    /// `count` bytes (fewer at the end of the input), as an array.
    mutating func take(_ count: Int) -> [UInt8] {
        let n = min(count, max(bytes.count - position, 0))
        defer { position += n }
        return (0..<n).map { bytes[position + $0] }
    }

    /// The rest of the input.
    mutating func rest() -> [UInt8] { take(bytes.count - position) }
}

/// A broken invariant: printed with the case, then a trap, which libFuzzer saves as a crash.
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
           file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("INVARIANT BROKEN: \(message())", file: file, line: line) }
}
