import SwiftBuffer

// The harness's own reading of a layout, written from PEP 3118's definitions and not from the
// core's kernel: the address of an element is buf + sum(index[d] * strides[d]), with a pointer
// followed after dimension d when suboffsets[d] >= 0; absent shape means one dimension of
// len / itemsize items, absent strides mean C order. Every address and every pointer load is
// checked against the memory the layout must stay inside.

/// The bytes a layout may touch: [start, end).
struct Region {
    let start: UInt
    let end: UInt

    init(_ base: UnsafeMutableRawPointer, count: Int) {
        start = UInt(bitPattern: base)
        end = start + UInt(count)
    }

    func contains(_ p: UnsafeRawPointer, bytes: Int) -> Bool {
        let a = UInt(bitPattern: p)
        return a >= start && a <= end && UInt(bytes) <= end - a
    }
}

enum Reference {
    static func shape(_ v: BufferDescriptor) -> [Int] {
        if v.ndim == 0 { return [] }
        if let s = v.shape { return (0..<v.ndim).map { s[$0] } }
        return [v.itemsize == 0 ? 0 : v.len / v.itemsize]
    }

    static func strides(_ v: BufferDescriptor) -> [Int] {
        let shape = shape(v)
        if let s = v.strides { return (0..<shape.count).map { s[$0] } }
        var result = [Int](repeating: 0, count: shape.count)
        var step = v.itemsize
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            result[d] = step
            step = step &* shape[d]
        }
        return result
    }

    /// Every index tuple of `shape`, in C order (last index fastest) or Fortran order.
    static func indices(_ shape: [Int], fortran: Bool = false) -> [[Int]] {
        if shape.contains(0) { return [] }
        var result: [[Int]] = []
        var index = [Int](repeating: 0, count: shape.count)
        let order = fortran ? Array(0..<shape.count) : Array((0..<shape.count).reversed())
        while true {
            result.append(index)
            var k = 0
            while k < order.count {
                let d = order[k]
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                k += 1
            }
            if k == order.count { return result }
        }
    }

    /// The address of the element (or sub-array, for a shorter tuple) at `index`, every step
    /// checked to stay in `region`.
    static func address(_ v: BufferDescriptor, _ index: [Int], in region: Region,
                        _ what: @autoclosure () -> String = "") -> UnsafeMutableRawPointer {
        let strides = strides(v)
        var p = v.buf!
        for d in 0..<index.count {
            p = p + index[d] &* strides[d]
            if let sub = v.suboffsets, sub[d] >= 0 {
                check(region.contains(p, bytes: MemoryLayout<UnsafeRawPointer>.size),
                      "pointer table entry outside the memory at \(index) \(what())")
                p = p.loadUnaligned(as: UnsafeMutableRawPointer.self) + sub[d]
            }
        }
        if index.count == v.ndim {
            check(region.contains(p, bytes: v.itemsize), "element \(index) outside the memory \(what())")
        }
        return p
    }

    /// The bytes of every element, in C or Fortran index order.
    static func gather(_ v: BufferDescriptor, in region: Region, fortran: Bool = false) -> [UInt8] {
        if v.ndim == 0 {
            let p = address(v, [], in: region)
            return Array(UnsafeRawBufferPointer(start: p, count: v.itemsize))
        }
        var out: [UInt8] = []
        for index in indices(shape(v), fortran: fortran) {
            let p = address(v, index, in: region)
            out.append(contentsOf: UnsafeRawBufferPointer(start: p, count: v.itemsize))
        }
        return out
    }

    /// The indices `range(n)[start:stop:step]` selects, by Python's slice.indices rules, as a
    /// walk (no closed form).
    static func sliceIndices(count n: Int, start: Int?, stop: Int?, step: Int) -> [Int] {
        let lower = step < 0 ? -1 : 0, upper = step < 0 ? n - 1 : n
        func clamp(_ v: Int?, _ default: Int) -> Int {
            guard var v = v else { return `default` }
            if v < 0 { v = v &+ n; if v < lower { v = lower } } else if v > upper { v = upper }
            return v
        }
        let begin = clamp(start, step < 0 ? upper : lower)
        let end = clamp(stop, step < 0 ? lower : upper)
        var result: [Int] = []
        var i = begin
        while step > 0 ? i < end : i > end {
            result.append(i)
            let (next, overflow) = i.addingReportingOverflow(step)
            if overflow { break }
            i = next
        }
        return result
    }

    /// The lowercase hex string of `bytes`, a separator between groups of |per| bytes counted
    /// from the right (per > 0) or the left (per < 0).
    static func hex(_ bytes: [UInt8], separator: UInt8, per: Int) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        var groups: [[UInt8]] = []
        let n = bytes.count, g = per == 0 ? max(n, 1) : abs(per)
        if per >= 0 {
            var end = n
            while end > 0 { groups.insert(Array(bytes[max(0, end - g)..<end]), at: 0); end -= g }
        } else {
            var start = 0
            while start < n { groups.append(Array(bytes[start..<min(n, start + g)])); start += g }
        }
        var out: [UInt8] = []
        for (k, group) in groups.enumerated() {
            if k > 0 { out.append(separator) }
            for b in group { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        }
        return out
    }
}

/// Shape, strides and suboffsets of a view, owned here (the `ob_array` of a memoryview).
final class ViewArrays {
    let storage: UnsafeMutablePointer<Int>
    init(ndim: Int) {
        storage = .allocate(capacity: max(3 * ndim, 3))
        storage.initialize(repeating: 0, count: max(3 * ndim, 3))
    }
    deinit { storage.deallocate() }

    /// A view of `source`'s memory with copies of its arrays (memoryview construction:
    /// `copyArrays`, then `init_len`).
    static func view(of source: BufferDescriptor) -> (ViewArrays, BufferDescriptor) {
        let arrays = ViewArrays(ndim: source.ndim)
        let (shape, strides, suboffsets) = MemoryView.copyArrays(of: source, into: arrays.storage)
        var view = source
        view.shape = shape
        view.strides = strides
        view.suboffsets = suboffsets
        view.len = MemoryView.byteLength(of: view)
        return (arrays, view)
    }
}
