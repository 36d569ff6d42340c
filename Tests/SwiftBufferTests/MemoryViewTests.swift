import Testing
import SwiftBuffer

/// The memoryview semantics of the core, over the generated layouts of `everyLayout`, each
/// against an oracle that works element by element: lookup and traversal against PEP 3118's
/// addresses, slicing against Python's range arithmetic, comparison against element values,
/// hex against a string-built reference, cast and hash rules against CPython's messages.
@Suite struct MemoryViewTests {
    /// A view of a test layout, with its arrays copied the way the bridge copies them.
    final class View {
        let layout: TestLayout
        let storage: UnsafeMutablePointer<Int>
        var view: MemoryView

        init(_ layout: TestLayout) {
            self.layout = layout
            let source = layout.descriptor
            storage = .allocate(capacity: max(3 * source.ndim, 1))
            var d = source
            let arrays = unsafe MemoryView.copyArrays(of: source, into: storage)
            d.format = unsafe source.format ?? Layout.unsignedByteCString
            (d.shape, d.strides, d.suboffsets) = unsafe arrays
            view = MemoryView(layout: d)
        }

        deinit { unsafe storage.deallocate() }
    }

    /// Runs `body` with a view of `layout`, keeping the layout's memory and the view's arrays
    /// alive meanwhile (the view borrows both).
    private func withView<R>(_ layout: TestLayout, _ body: (MemoryView) throws -> R) rethrows -> R {
        let holder = View(layout)
        return try withExtendedLifetime(holder) { try body(holder.view) }
    }

    @Test func arraysAreCompletedLikePyMemoryViewFromBuffer() {
        for layout in everyLayout() {
            let held1 = View(layout)
            defer { withExtendedLifetime(held1) {} }
            let v = held1.view
            #expect(v.ndim == layout.shape.count)
            for d in 0..<v.ndim {
                #expect(unsafe v.layout.shape![d] == layout.shape[d])
                #expect(unsafe v.layout.strides![d] == (layout.strides ?? TestLayout.cStrides(layout.shape, layout.itemsize))[d])
            }
            #expect((v.layout.suboffsets == nil) == (layout.suboffsets == nil))
            #expect(v.contiguity == oracleContiguity(layout), "\(layout)")
            #expect(v.length == (layout.shape.first ?? 1))
        }
    }

    @Test func lookupAndTraversalFollowPEP3118() throws {
        for layout in everyLayout() where layout.itemsize == 4 {
            layout.fillDistinct()
            let held2 = View(layout)
            defer { withExtendedLifetime(held2) {} }
            let v = held2.view
            var visited: [UnsafeMutableRawPointer] = []
            unsafe v.forEachElement { unsafe visited.append($0) }
            let expected = layout.indices().map { unsafe layout.address(of: $0) }
            #expect(visited == expected, "\(layout)")
            for index in layout.indices() {
                #expect(try unsafe v.pointer(at: index) == layout.address(of: index))
                let negative = zip(index, layout.shape).map { $0 - $1 }
                #expect(try unsafe v.pointer(at: negative) == layout.address(of: index))
            }
            for d in 0..<layout.shape.count where !layout.shape[..<d].contains(0) {
                var index = [Int](repeating: 0, count: layout.shape.count)
                index[d] = layout.shape[d]
                #expect(throws: SwiftBufferError.indexError("index out of bounds on dimension \(d + 1)")) {
                    _ = try unsafe v.pointer(at: index)
                }
            }
            #expect(throws: SwiftBufferError.typeError("cannot index \(layout.shape.count)-dimension view with \(layout.shape.count + 1)-element tuple")) {
                _ = try unsafe v.pointer(at: [Int](repeating: 0, count: layout.shape.count + 1))
            }
        }
    }

    /// PySlice_AdjustIndices against Python's definition: the indices start, start+step, ...
    /// that lie in [0, length) on the right side of stop.
    @Test func sliceArithmetic() {
        let bounds = Array(-8...8) + [Int.max, -Int.max]
        for length in 0...6 {
            for step in [1, 2, 3, -1, -2, -3, Int.max, -Int.max] {
                for start in bounds {
                    for stop in bounds {
                        let s = Layout.Slice(start: start, stop: stop, step: step, count: length)
                        #expect(s.length == pythonRange(length, start, stop, step).count, "\(length) \(start):\(stop):\(step)")
                        if s.length > 0 { #expect(s.start == pythonRange(length, start, stop, step)[0]) }
                    }
                }
            }
        }
    }

    private func pythonRange(_ n: Int, _ start: Int, _ stop: Int, _ step: Int) -> [Int] {
        func clamp(_ i: Int, _ low: Int, _ high: Int) -> Int { i < 0 ? max(i &+ n, low) : min(i, high) }
        let (lo, hi) = step > 0 ? (clamp(start, 0, n), clamp(stop, 0, n)) : (clamp(start, -1, n - 1), clamp(stop, -1, n - 1))
        var result: [Int] = []
        var i = lo
        while step > 0 ? i < hi : i > hi {
            result.append(i)
            let (next, overflow) = i.addingReportingOverflow(step)
            if overflow { break }
            i = next
        }
        return result
    }

    /// Slicing dimension 0 of any layout (PIL included) selects exactly the elements the
    /// oracle's index arithmetic selects.
    @Test func slicingSelectsTheRightElements() {
        for layout in everyLayout() where !layout.shape.isEmpty && layout.itemsize == 4 {
            layout.fillDistinct()
            for (start, stop, step) in [(0, Int.max, 1), (1, Int.max, 2), (Int.max, -Int.max, -1), (-2, 0, -1), (3, 1, 1)] {
                let v = View(layout)
                defer { withExtendedLifetime(v) {} }
                var d = v.view.layout
                MemoryView.slice(&d, dimension: 0, start: start, stop: stop, step: step)
                let sliced = MemoryView(layout: d)
                var values: [Int32] = []
                unsafe sliced.forEachElement { unsafe values.append($0.load(as: Int32.self)) }
                let rows = pythonRange(layout.shape[0], start, stop, step)
                let expected = rows.flatMap { r in layout.indices().filter { $0[0] == r } }
                    .map { unsafe layout.address(of: $0).load(as: Int32.self) }
                #expect(values == expected, "\(layout) \(start):\(stop):\(step)")
                #expect(d.len == MemoryView.byteLength(of: d))
            }
        }
    }

    @Test func comparisonIsByValue() {
        for a in everyLayout() {
            for b in everyLayout() where a.shape == b.shape && a.itemsize == 4 && b.itemsize == 4 {
                a.fillDistinct()
                b.fillDistinct()
                let ha = View(a), hb = View(b)
                defer { withExtendedLifetime((ha, hb)) {} }
                let va = ha.view, vb = hb.view
                let expected = a.values() == b.values()
                // `.int` compares by bytes (whole rows where they are runs); `.float` by value,
                // element by element. The values are small positive integers, whose bit
                // patterns are distinct floats that are not NaN, so both agree with Int32's.
                for code in [ElementCodec.Code.int, .float] {
                    #expect(MemoryView.elementsEqual(va.layout, vb.layout, code: code) == expected, "\(a) vs \(b) as \(code)")
                }
                if !a.indices().isEmpty && Set(a.indices().map { unsafe a.address(of: $0) }).count == a.count {
                    // The last element in C order: a walk that stops early, or skips a row or
                    // the end of one, misses it.
                    unsafe b.address(of: b.indices().last!).storeBytes(of: 1 << 20, as: Int32.self)
                    for code in [ElementCodec.Code.int, .float] {
                        #expect(!MemoryView.elementsEqual(va.layout, vb.layout, code: code), "\(a) vs \(b) as \(code)")
                    }
                }
            }
        }
        // NaN: unequal to itself even in the same memory; -0.0 equals 0.0.
        let nan = TestLayout.strided(name: "nan", shape: [2], strides: [4], itemsize: 4, format: "f")
        unsafe nan.buf.storeBytes(of: Float.nan, as: Float.self)
        unsafe nan.buf.storeBytes(of: Float(1), toByteOffset: 4, as: Float.self)
        let held4 = View(nan)
        defer { withExtendedLifetime(held4) {} }
        let v = held4.view
        #expect(!MemoryView.elementsEqual(v.layout, v.layout, code: .float))
        #expect(Layout.equivalentShapes(v.layout, v.layout))
    }

    @Test func hexMatchesAStringBuiltReference() {
        var generator = SystemRandomNumberGenerator()
        for n in [0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 33, 100] {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }
            for group: Int32 in [0, 1, 2, 3, 4, 5, 100, -1, -2, -3, -5, -100, Int32.max, Int32.min] {
                let length = try! MemoryView.hexLength(byteCount: n, bytesPerSeparator: group)
                let out = UnsafeMutablePointer<UInt8>.allocate(capacity: max(length, 1))
                defer { unsafe out.deallocate() }
                unsafe bytes.withUnsafeBytes { unsafe MemoryView.writeHex($0, separator: UInt8(ascii: ":"), bytesPerSeparator: group, into: out) }
                let got = unsafe String(decoding: UnsafeBufferPointer(start: out, count: length), as: UTF8.self)
                #expect(got == referenceHex(bytes, group), "\(bytes) \(group)")
            }
        }
        // Every byte value through the byte-at-a-time tail (fewer than 8 bytes) and through the
        // 8-byte words, whose digits come from different code.
        let all = (0...255).map { UInt8($0) }
        let tails = all.map { [$0] }, words = stride(from: 0, to: 256, by: 8).map { Array(all[$0..<$0 + 8]) }
        for bytes in tails + words {
            do {
                let n = bytes.count
                let out = UnsafeMutablePointer<UInt8>.allocate(capacity: 2 * n)
                defer { unsafe out.deallocate() }
                unsafe bytes.withUnsafeBytes { unsafe MemoryView.writeHex($0, separator: 0, bytesPerSeparator: 0, into: out) }
                #expect(unsafe String(decoding: UnsafeBufferPointer(start: out, count: 2 * n), as: UTF8.self) == referenceHex(bytes, 0))
            }
        }
        #expect(throws: SwiftBufferError.noMemory) { try MemoryView.hexLength(byteCount: Int.max / 2, bytesPerSeparator: 1) }
    }

    private func referenceHex(_ bytes: [UInt8], _ group: Int32) -> String {
        let digits = bytes.map { b in String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16) }
        let g = Int(group.magnitude)
        if group == 0 || g >= bytes.count { return digits.joined() }
        var chunks: [String] = []
        if group < 0 {
            var i = 0
            while i < digits.count { chunks.append(digits[i..<min(i + g, digits.count)].joined()); i += g }
        } else {
            var i = digits.count
            while i > 0 { chunks.insert(digits[max(i - g, 0)..<i].joined(), at: 0); i -= g }
        }
        return chunks.joined(separator: ":")
    }

    /// MemoryView.cast is the whole of memoryview_cast_impl: the finished layout, and each
    /// failure at its point in CPython's order, with the caller's closures called only up to it.
    @Test func castIsOneOperation() throws {
        var bytes = [UInt8](0..<16)
        var storage = [Int](repeating: -7, count: 2 + 3 * 3)
        unsafe bytes.withUnsafeMutableBytes { raw in
            unsafe storage.withUnsafeMutableBufferPointer { arrays in
                let a = arrays.baseAddress!
                unsafe a[0] = 16
                unsafe a[1] = 1
                let view = unsafe MemoryView(layout: BufferDescriptor(buf: raw.baseAddress, len: 16, itemsize: 1, readonly: true, ndim: 1,
                                                                      format: Layout.unsignedByteCString, shape: a, strides: a + 1, suboffsets: nil))
                func cast(_ format: String, _ shape: [Int]?) -> (Result<BufferDescriptor, SwiftBufferError>, [String]) {
                    var calls: [String] = []
                    let utf8 = Array(format.utf8)
                    var result: Result<BufferDescriptor, SwiftBufferError> = .failure(.valueError("not called"))
                    unsafe utf8.withUnsafeBytes { f in
                        result = Result { () throws(SwiftBufferError) -> BufferDescriptor in
                            let cast = try unsafe view.cast(
                                sourceCharacter: UInt8(ascii: "B"),
                                shapeGiven: shape != nil,
                                shapeLength: { () throws(SwiftBufferError) -> Int in calls.append("length"); return shape!.count },
                                makeView: { (ndim: Int) throws(SwiftBufferError) -> BufferDescriptor in
                                    calls.append("view \(ndim)")
                                    var l = view.layout
                                    unsafe l.shape = a + 2
                                    unsafe l.strides = a + 2 + ndim
                                    unsafe l.suboffsets = a + 2 + 2 * ndim
                                    return l
                                },
                                format: { () throws(SwiftBufferError) -> UnsafeRawBufferPointer in calls.append("format"); return f },
                                extent: { (i: Int) throws(SwiftBufferError) -> Int in calls.append("extent \(i)"); return shape![i] })
                            // The flags made with the layout are those init_flags finds in it.
                            #expect(cast.contiguity == Contiguity(of: cast.layout))
                            return cast.layout
                        }
                    }
                    return (result, calls)
                }
                let (ok, calls) = cast("@i", [2, 2])
                #expect(calls == ["length", "view 2", "format", "extent 0", "extent 1"])
                let layout = try! ok.get()
                #expect(unsafe String(cString: layout.format!) == "@i")
                #expect(layout.ndim == 2 && layout.itemsize == 4 && layout.len == 16 && layout.suboffsets == nil)
                #expect(unsafe [layout.shape![0], layout.shape![1], layout.strides![0], layout.strides![1]] == [2, 2, 8, 4])
                let (flat, flatCalls) = cast("d", nil)
                #expect(flatCalls == ["view 1", "format"])
                let one = try! flat.get()
                #expect(one.ndim == 1 && one.itemsize == 8)
                #expect(unsafe [one.shape![0], one.strides![0]] == [2, 8])
                let failures: [(String, [Int]?, SwiftBufferError, [String])] = [
                    ("dd", [2], .valueError("memoryview: destination format must be a native single character format prefixed with an optional '@'"), ["length", "view 1", "format"]),
                    ("i", Array(repeating: 1, count: 65), .valueError("memoryview: number of dimensions must not exceed 64"), ["length"]),
                    ("i", [0, 4], .valueError("memoryview.cast(): elements of shape must be integers > 0"), ["length", "view 2", "format", "extent 0"]),
                    ("i", [2, 3], .typeError("memoryview: product(shape) * itemsize != buffer size"), ["length", "view 2", "format", "extent 0", "extent 1"]),
                    ("Q", [], .typeError("memoryview: product(shape) * itemsize != buffer size"), ["length", "view 1", "format"]),
                    ("i", [2, Int.max / 4], .valueError("memoryview.cast(): product(shape) > SSIZE_MAX"), ["length", "view 2", "format", "extent 0", "extent 1"]),
                ]
                for (format, shape, error, expectedCalls) in failures {
                    let (result, calls) = cast(format, shape)
                    #expect(throws: error) { try result.get() }
                    #expect(calls == expectedCalls, "\(format) \(String(describing: shape))")
                }
            }
        }
    }

    @Test func castRules() throws {
        func cast(_ source: UInt8?, _ length: Int, _ format: String) throws(SwiftBufferError) -> Int {
            let bytes = Array(format.utf8)
            var result: Result<Int, SwiftBufferError> = .success(0)
            unsafe bytes.withUnsafeBytes { raw in
                switch unsafe MemoryView.castFormatChoice(from: source, byteLength: length, to: raw) {
                case .success(let chosen): result = .success(chosen.itemsize)
                case .failure(let refusal): result = .failure(refusal.error)
                }
            }
            return try result.get()
        }
        #expect(try cast(UInt8(ascii: "B"), 16, "d") == 8)
        #expect(try cast(UInt8(ascii: "d"), 16, "@c") == 1)
        #expect(throws: SwiftBufferError.typeError("memoryview: cannot cast between two non-byte formats")) { try cast(UInt8(ascii: "d"), 16, "i") }
        #expect(throws: SwiftBufferError.typeError("memoryview: cannot cast between two non-byte formats")) { try cast(nil, 16, "i") }
        #expect(throws: SwiftBufferError.typeError("memoryview: length is not a multiple of itemsize")) { try cast(UInt8(ascii: "B"), 6, "i") }
        for bad in ["e", "x", "", "@", "BB", "<i", "@@B"] {
            #expect(throws: SwiftBufferError.valueError("memoryview: destination format must be a native single character format prefixed with an optional '@'")) {
                try cast(UInt8(ascii: "B"), 8, bad)
            }
        }
        for code in ElementCodec.Code.allCases {
            #expect(unsafe String(cString: MemoryView.castFormat(code, prefixed: false)) == String(UnicodeScalar(code.rawValue)))
            #expect(unsafe String(cString: MemoryView.castFormat(code, prefixed: true)) == "@" + String(UnicodeScalar(code.rawValue)))
        }
        #expect(MemoryView.castExtentRefusal(0, length: 8)?.error == .valueError("memoryview.cast(): elements of shape must be integers > 0"))
        #expect(MemoryView.castExtentRefusal(Int.max / 4, length: 8)?.error == .valueError("memoryview.cast(): product(shape) > SSIZE_MAX"))
        #expect(MemoryView.castExtentRefusal(Int.max / 8, length: 8) == nil)
        #expect(MemoryView.castLengthRefusal(8, byteLength: 16)?.error == .typeError("memoryview: product(shape) * itemsize != buffer size"))
        #expect(MemoryView.castLengthRefusal(16, byteLength: 16) == nil)
    }

    @Test func castSourceRules() {
        for layout in everyLayout() {
            let held5 = View(layout)
            defer { withExtendedLifetime(held5) {} }
            let v = held5.view
            let zeros = layout.shape.contains(0)
            if !v.isCContiguous {
                #expect(v.castSourceRefusal(shapeGiven: false)?.error == .typeError("memoryview: casts are restricted to C-contiguous views"))
            } else if zeros && (layout.shape.count != 1) {
                #expect(v.castSourceRefusal(shapeGiven: false)?.error == .typeError("memoryview: cannot cast view with zeros in shape or strides"))
            } else {
                #expect(v.castSourceRefusal(shapeGiven: false) == nil)
            }
        }
    }

    @Test func elementLoadsFollowTheLayout() throws {
        // Every element of a strided and of an indirect (PIL) layout, in C order, read through
        // the one typed load.
        let layout = TestLayout.strided(name: "i", shape: [2, 3], strides: [12, 4], itemsize: 4, format: "i")
        layout.fillDistinct()
        let held6 = View(layout)
        defer { withExtendedLifetime(held6) {} }
        var values: [Int32] = []
        unsafe held6.view.forEachElement { unsafe values.append(MemoryView.load(Int32.self, from: $0)) }
        #expect(values == [1, 2, 3, 4, 5, 6])
        let pil = TestLayout.pil(shape: [2, 3])
        pil.fillDistinct()
        var indirect: [Int32] = []
        withView(pil) { v in unsafe v.forEachElement { unsafe indirect.append(MemoryView.load(Int32.self, from: $0)) } }
        #expect(indirect == [1, 2, 3, 4, 5, 6])
        // '?' reads by C's rule: any non-zero byte is true.
        let bytes: [UInt8] = [0, 1, 2, 255]
        let bools = unsafe bytes.withUnsafeBytes { raw in (0..<4).map { unsafe MemoryView.load(Bool.self, from: raw.baseAddress! + $0) } }
        #expect(bools == [false, true, true, true])
    }

    @Test(arguments: [
        // (format, element code, size, holds)
        ("i", "i", 4, true), ("@i", "i", 4, true), ("<i", "i", 4, true), ("=i", "i", 4, true),
        (">i", "i", 4, false), ("!i", "i", 4, false), ("I", "i", 4, false), ("d", "i", 4, false),
        ("<d", "d", 8, true), ("<l", "q", 8, false), ("l", "q", 8, true), ("<q", "q", 8, true),
        ("c", "b", 1, true), ("c", "B", 1, true), ("c", "?", 1, false), ("?", "?", 1, true),
        ("?", "B", 1, false), ("ii", "i", 4, false), ("2i", "i", 4, false), ("", "i", 4, false),
        ("<", "i", 4, false), ("i", "i", 8, false), ("<e", "e", 2, true),
    ] as [(String, String, Int, Bool)])
    func elementCompatibility(format: String, code: String, size: Int, holds: Bool) {
        #expect(ElementCodec.Code.format(Array(format.utf8), holdsCode: code.utf8.first!, size: size) == holds)
    }

    @Test func hashRules() {
        let held8 = View(TestLayout.strided(name: "B", shape: [4], strides: [1], itemsize: 1, format: "B", readonly: true))
        defer { withExtendedLifetime(held8) {} }
        let ro = held8.view
        #expect(throws: Never.self) { try ro.checkHashable() }
        let held9 = View(TestLayout.strided(name: "B", shape: [4], strides: [1], itemsize: 1, format: "B"))
        defer { withExtendedLifetime(held9) {} }
        let rw = held9.view
        #expect(throws: SwiftBufferError.valueError("cannot hash writable memoryview object")) { try rw.checkHashable() }
        let held10 = View(TestLayout.strided(name: "i", shape: [4], strides: [4], itemsize: 4, format: "i", readonly: true))
        defer { withExtendedLifetime(held10) {} }
        let ints = held10.view
        #expect(throws: SwiftBufferError.valueError("memoryview: hashing is restricted to formats 'B', 'b' or 'c'")) { try ints.checkHashable() }
    }

    /// The refusal the hash slot asks for from cached facts: memory_hash's order (writable
    /// first), the byte formats only, and a format longer than one character refused.
    @Test func hashRefusalFromCachedFacts() {
        let restricted = "memoryview: hashing is restricted to formats 'B', 'b' or 'c'"
        for c in "Bbc".utf8 { #expect(MemoryView.hashRefusal(readonly: true, formatCharacter: c) == nil) }
        for c in "ihd?e".utf8 { #expect(MemoryView.hashRefusal(readonly: true, formatCharacter: c)?.message.description == restricted) }
        #expect(MemoryView.hashRefusal(readonly: true, formatCharacter: nil)?.message.description == restricted)
        #expect(MemoryView.hashRefusal(readonly: false, formatCharacter: nil)?.message.description == "cannot hash writable memoryview object")
        #expect(MemoryView.hashRefusal(readonly: false, formatCharacter: UInt8(ascii: "B"))?.message.description == "cannot hash writable memoryview object")
    }
}
