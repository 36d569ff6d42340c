// Layouts for the core tests, generated rather than hand-picked, and small oracles that answer
// layout questions by brute force (enumerating every element) instead of by formula.
import SwiftBuffer

/// A layout over owned memory: shape, strides, suboffsets and format live as long as the
/// object, so its `descriptor` can be handed to the core like an exporter's.
final class TestLayout: CustomStringConvertible {
    let name: String
    let shape: [Int]
    let strides: [Int]?
    let suboffsets: [Int]?
    let itemsize: Int
    let format: String?
    let readonly: Bool
    /// Every allocation the layout addresses (data, and pointer tables for PIL layouts).
    private var allocations: [UnsafeMutableRawPointer] = []
    private let shapeStorage: UnsafeMutablePointer<Int>
    private let stridesStorage: UnsafeMutablePointer<Int>?
    private let suboffsetsStorage: UnsafeMutablePointer<Int>?
    private let formatStorage: UnsafeMutablePointer<CChar>?
    let buf: UnsafeMutableRawPointer

    /// `buf` is `allocation + offset`; `extra` allocations (row tables) are freed with the layout.
    init(name: String, shape: [Int], strides: [Int]?, suboffsets: [Int]? = nil, itemsize: Int, format: String?,
         readonly: Bool = false, allocation: UnsafeMutableRawPointer, offset: Int, extra: [UnsafeMutableRawPointer] = []) {
        self.name = name
        self.shape = shape
        self.strides = strides
        self.suboffsets = suboffsets
        self.itemsize = itemsize
        self.format = format
        self.readonly = readonly
        allocations = [allocation] + extra
        buf = unsafe allocation + offset
        shapeStorage = .allocate(capacity: max(shape.count, 1))
        unsafe shapeStorage.initialize(from: shape, count: shape.count)
        stridesStorage = strides.map { s in
            let p = UnsafeMutablePointer<Int>.allocate(capacity: max(s.count, 1))
            unsafe p.initialize(from: s, count: s.count)
            return unsafe p
        }
        suboffsetsStorage = suboffsets.map { s in
            let p = UnsafeMutablePointer<Int>.allocate(capacity: max(s.count, 1))
            unsafe p.initialize(from: s, count: s.count)
            return unsafe p
        }
        formatStorage = format.map { f in
            let bytes = Array(f.utf8CString)
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
            unsafe p.initialize(from: bytes, count: bytes.count)
            return unsafe p
        }
    }

    deinit {
        for a in allocations { unsafe a.deallocate() }
        unsafe shapeStorage.deallocate()
        unsafe stridesStorage?.deallocate()
        unsafe suboffsetsStorage?.deallocate()
        unsafe formatStorage?.deallocate()
    }

    var count: Int { shape.reduce(1, *) }

    var descriptor: BufferDescriptor {
        unsafe BufferDescriptor(buf: buf, len: count * itemsize, itemsize: itemsize, readonly: readonly, ndim: shape.count,
                                format: formatStorage.map { unsafe UnsafePointer($0) }, shape: shapeStorage,
                                strides: stridesStorage, suboffsets: suboffsetsStorage)
    }

    var description: String {
        "\(name) shape=\(shape) strides=\(strides.map { "\($0)" } ?? "nil") suboffsets=\(suboffsets.map { "\($0)" } ?? "nil")"
    }

    /// The address of the element at `index`, by PEP 3118's definition, one dimension at a time.
    func address(of index: [Int]) -> UnsafeMutableRawPointer {
        var p = unsafe buf
        for d in 0..<shape.count {
            let stride = strides?[d] ?? TestLayout.cStrides(shape, itemsize)[d]
            p = unsafe p + index[d] * stride
            if let sub = suboffsets, sub[d] >= 0 {
                p = unsafe p.load(as: UnsafeMutableRawPointer.self) + sub[d]
            }
        }
        return unsafe p
    }

    /// Every index tuple in C order (last index fastest), or Fortran order.
    func indices(fortran: Bool = false) -> [[Int]] {
        TestLayout.indices(of: shape, fortran: fortran)
    }

    static func indices(of shape: [Int], fortran: Bool = false) -> [[Int]] {
        if shape.contains(0) { return [] }
        var result: [[Int]] = [[]]
        let dims = fortran ? Array(shape.indices) : Array(shape.indices.reversed())
        for d in dims {
            var next: [[Int]] = []
            for i in 0..<shape[d] {
                for partial in result {
                    var idx = partial
                    idx.insert(i, at: 0)
                    next.append(idx)
                }
            }
            result = next
        }
        // Built innermost-first; put each tuple in dimension order.
        return fortran ? result.map { Array($0.reversed()) } : result
    }

    static func cStrides(_ shape: [Int], _ itemsize: Int) -> [Int] {
        var strides = [Int](repeating: itemsize, count: shape.count)
        var s = itemsize
        for d in shape.indices.reversed() { strides[d] = s; s *= shape[d] }
        return strides
    }

    static func fStrides(_ shape: [Int], _ itemsize: Int) -> [Int] {
        var strides = [Int](repeating: itemsize, count: shape.count)
        var s = itemsize
        for d in shape.indices { strides[d] = s; s *= shape[d] }
        return strides
    }

    /// Memory for any (shape, strides) with these extents: the allocation and the offset of
    /// the first element, so that negative strides stay inside.
    static func strided(name: String, shape: [Int], strides: [Int], itemsize: Int, format: String? = "i",
                        readonly: Bool = false) -> TestLayout {
        var low = 0, high = 0
        if !shape.contains(0) {
            for (n, s) in zip(shape, strides) { if s < 0 { low += s * (n - 1) } else { high += s * (n - 1) } }
        }
        let bytes = high - low + itemsize
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
        unsafe memory.initializeMemory(as: UInt8.self, repeating: 0xEE, count: bytes)
        return TestLayout(name: name, shape: shape, strides: strides, itemsize: itemsize, format: format, readonly: readonly,
                          allocation: memory, offset: -low)
    }

    /// A PIL-style layout: dimension 0 is a table of pointers to `shape[0]` separately allocated
    /// sub-arrays of `shape[1...]` (C order, or reversed along dimension 1 when `reversedRows`).
    static func pil(shape: [Int], itemsize: Int = 4, format: String? = "i", reversedRows: Bool = false) -> TestLayout {
        precondition(shape.count >= 2)
        let rowShape = Array(shape.dropFirst())
        var rowStrides = cStrides(rowShape, itemsize)
        let rowBytes = max(rowShape.reduce(itemsize, *), 1)
        var sub0 = 0
        if reversedRows && rowShape[0] > 0 {
            sub0 = rowStrides[0] * (rowShape[0] - 1)
            rowStrides[0] = -rowStrides[0]
        }
        let table = UnsafeMutableRawPointer.allocate(byteCount: max(shape[0], 1) * MemoryLayout<UnsafeMutableRawPointer>.stride, alignment: 16)
        var rows: [UnsafeMutableRawPointer] = []
        for i in 0..<shape[0] {
            let row = UnsafeMutableRawPointer.allocate(byteCount: rowBytes, alignment: 16)
            unsafe row.initializeMemory(as: UInt8.self, repeating: 0xEE, count: rowBytes)
            unsafe (table + i * MemoryLayout<UnsafeMutableRawPointer>.stride).storeBytes(of: row, as: UnsafeMutableRawPointer.self)
            rows.append(row)
        }
        var suboffsets = [Int](repeating: -1, count: shape.count)
        suboffsets[0] = sub0
        return TestLayout(name: reversedRows ? "PIL reversed" : "PIL", shape: shape,
                          strides: [MemoryLayout<UnsafeMutableRawPointer>.stride] + rowStrides,
                          suboffsets: suboffsets, itemsize: itemsize, format: format, allocation: table, offset: 0, extra: rows)
    }

    /// Writes distinct values (1, 2, 3, ... in C index order) into every element.
    func fillDistinct() {
        for (k, idx) in indices().enumerated() {
            unsafe address(of: idx).storeBytes(of: Int32(truncatingIfNeeded: k + 1), as: Int32.self)
        }
    }

    /// The element values (as Int32, the layouts' element type) in C or Fortran index order.
    func values(fortran: Bool = false) -> [Int32] {
        indices(fortran: fortran).map { unsafe address(of: $0).load(as: Int32.self) }
    }
}

/// The layouts every table test runs over: contiguous in C and Fortran order, strided,
/// negative strides, PIL, 0-d, zero-size and length-1 dimensions.
func everyLayout(readonly: Bool = false) -> [TestLayout] {
    var layouts: [TestLayout] = []
    let shapes: [[Int]] = [[], [5], [1], [0], [2, 3], [3, 1], [1, 4], [0, 3], [3, 0], [2, 3, 4], [2, 1, 3]]
    for shape in shapes {
        let c = TestLayout.cStrides(shape, 4), f = TestLayout.fStrides(shape, 4)
        layouts.append(.strided(name: "C", shape: shape, strides: c, itemsize: 4, readonly: readonly))
        if shape.count > 1 {
            layouts.append(.strided(name: "F", shape: shape, strides: f, itemsize: 4, readonly: readonly))
        }
        if !shape.isEmpty {
            layouts.append(.strided(name: "every other", shape: shape, strides: c.map { $0 * 2 }, itemsize: 4, readonly: readonly))
            layouts.append(.strided(name: "reversed", shape: shape, strides: c.map { -$0 }, itemsize: 4, readonly: readonly))
        }
        if shape.count > 1 {
            layouts.append(.strided(name: "F reversed first", shape: shape, strides: [-f[0]] + f.dropFirst(), itemsize: 4, readonly: readonly))
        }
    }
    layouts.append(.strided(name: "length-1 odd stride", shape: [1, 4], strides: [1000, 4], itemsize: 4, readonly: readonly))
    layouts.append(.strided(name: "1-d zero-size odd stride", shape: [0], strides: [12], itemsize: 4, readonly: readonly))
    layouts.append(.strided(name: "1-d stride 0", shape: [3], strides: [0], itemsize: 4, readonly: readonly))
    // Strides nil: C order by definition; format nil: unsigned bytes.
    let plain = UnsafeMutableRawPointer.allocate(byteCount: 24, alignment: 16)
    layouts.append(TestLayout(name: "strides nil", shape: [2, 3], strides: nil, itemsize: 4, format: "i", readonly: readonly,
                              allocation: plain, offset: 0))
    let bytes = UnsafeMutableRawPointer.allocate(byteCount: 6, alignment: 16)
    layouts.append(TestLayout(name: "format nil", shape: [6], strides: [1], itemsize: 1, format: nil, readonly: readonly,
                              allocation: bytes, offset: 0))
    if !readonly {
        layouts.append(.pil(shape: [2, 3]))
        layouts.append(.pil(shape: [3, 2], reversedRows: true))
        layouts.append(.pil(shape: [2, 2, 3]))
        layouts.append(.pil(shape: [2, 0]))
    }
    return layouts
}

// MARK: - Oracles

/// Contiguity by enumeration: the layout is C- (Fortran-) contiguous when every element sits
/// at its C (Fortran) linear index times the itemsize; an empty layout always is; suboffsets
/// never are (PyBuffer_IsContiguous).
func bruteForceContiguous(_ layout: TestLayout, fortran: Bool) -> Bool {
    if layout.suboffsets != nil { return false }
    for (linear, idx) in layout.indices(fortran: fortran).enumerated() {
        if unsafe layout.address(of: idx) != layout.buf + linear * layout.itemsize { return false }
    }
    return true
}

/// memoryview's `init_flags`: 0-d is both; 1-d is both when its one stride is the itemsize or
/// it has one element (not "when empty"); otherwise PyBuffer_IsContiguous.
func oracleContiguity(_ layout: TestLayout) -> Contiguity {
    if layout.suboffsets != nil { return [.pil] }
    switch layout.shape.count {
    case 0: return [.scalar, .c, .fortran]
    case 1:
        let stride = layout.strides?[0] ?? layout.itemsize
        return layout.shape[0] == 1 || stride == layout.itemsize ? [.c, .fortran] : []
    default:
        var flags: Contiguity = []
        if bruteForceContiguous(layout, fortran: false) { flags.insert(.c) }
        if bruteForceContiguous(layout, fortran: true) { flags.insert(.fortran) }
        return flags
    }
}

func string(_ p: UnsafePointer<CChar>?) -> String? {
    p.map { unsafe String(cString: $0) }
}
