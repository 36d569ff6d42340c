import SwiftBuffer

// The _testbuffer layout engine (NDBuffer) builds a layout from fuzzed shape, strides, offset
// and flags; then every operation on it: requests (ExportRules), memoryview construction,
// tobytes/hex, comparison, indexing, slicing (MemoryView's and the ndarray's), assignment and
// casts, each against the reference walk.

let elementCodes = Array("?cbBhHiIlLqQnNfdeP".utf8)

func fuzzLayout(_ input: inout Input) {
    let code = elementCodes[input.below(elementCodes.count)]
    let itemsize = ElementCodec.Code(ascii: code)!.size
    let ndim = input.below(5)
    let shape = (0..<ndim).map { _ in input.below(6) }
    var strides: [Int]? = nil
    if input.below(3) != 0 {
        strides = (0..<ndim).map { _ in input.small(6) * (input.below(16) == 0 ? 1 : itemsize) }
    }
    var flags: NDFlags = input.below(4) == 0 ? [] : [.writable]
    if strides == nil && input.bool() { flags.insert(.fortran) }
    if input.below(3) == 0 { flags.insert(.pil) }
    // Mostly a memory and offset the layout fits in (with slack), sometimes any.
    var itemCount: Int, offset: Int
    if input.below(8) == 0 {
        itemCount = 1 + input.below(48)
        offset = input.below(8) == 0 ? input.small(3 * itemsize) : input.below(itemCount) * itemsize
    } else {
        var low = 0, high = 0
        if !shape.contains(0) {
            let s = strides ?? Layout.contiguousStrides(shape: shape, itemsize: itemsize, order: flags.contains(.fortran) ? .fortran : .c)
            for (e, st) in zip(shape, s) { if st < 0 { low += (e - 1) * st } else { high += (e - 1) * st } }
        }
        offset = -low + input.below(3) * itemsize
        itemCount = max(1, (offset + high) / itemsize + 1 + input.below(3))
    }
    let length = itemCount * itemsize

    // verifyStructure against brute force.
    let effective = strides ?? Layout.contiguousStrides(shape: shape, itemsize: itemsize, order: flags.contains(.fortran) ? .fortran : .c)
    var inside = offset % itemsize == 0 && offset >= 0 && offset + itemsize <= length
    let multiples = effective.allSatisfy { $0 % itemsize == 0 }
    if inside && multiples && !shape.contains(0) {
        for index in Reference.indices(shape) {
            let at = offset + zip(index, effective).reduce(0) { $0 + $1.0 * $1.1 }
            if at < 0 || at + itemsize > length { inside = false; break }
        }
    }
    let verdict = Layout.verifyStructure(memoryLength: length, itemsize: itemsize, offset: offset, shape: shape, strides: effective)
    check((verdict == nil) == (inside && multiples), "verifyStructure(\(length), \(itemsize), \(offset), \(shape), \(effective)) = \(verdict ?? "nil")")

    let nd: NDBuffer
    do { nd = try NDBuffer(itemCount: itemCount, itemsize: itemsize, offset: offset, flags: flags) } catch {
        check(!(offset % itemsize == 0 && offset >= 0 && offset + itemsize <= length), "NDBuffer refused offset \(offset)")
        return
    }
    let fill = input.take(64)
    if !fill.isEmpty { for i in 0..<length { nd.rawBytes[i] = fill[i % fill.count] } }
    nd.setElement(itemsize: itemsize, format: [code])
    do { try nd.setStructure(shape: shape, strides: strides) } catch {
        check(ndim == 0 ? flags.contains(.pil) : verdict != nil, "setStructure refused \(shape) \(effective): \(error)")
        return
    }
    check(ndim == 0 || verdict == nil, "setStructure accepted \(shape) \(effective)")
    let region = Region(nd.data!, count: nd.length)
    let base = nd.base
    if ndim > 0 {
        check(base.len == (shape.contains(0) ? 0 : shape.reduce(itemsize, *)), "ndarray len \(base.len) for \(shape)")
    }
    let baseBytes = Reference.gather(base, in: region)

    // Requests: an answered view shows the same bytes.
    let raw = input.byte()
    let request = BufferRequest(rawValue: Int32(raw) | (raw & 2 == 0 ? 0 : 0x100))
    if let answer = try? ExportRules.answer(request, base: base, contiguity: nd.flags.contiguity, voice: .ndarray) {
        check(!request.contains(.writable) || !answer.readonly, "writable request answered read-only")
        if ndim > 0 {
            check(Reference.gather(answer, in: region) == baseBytes, "answer to \(raw) shows other bytes")
        }
    }

    // A memoryview of the full export.
    guard ndim <= Layout.maxDimensions else { return }
    let (arrays, view) = ViewArrays.view(of: base)
    withExtendedLifetime(arrays) { checkView(view, code: code, region: region, &input) }

    // MemoryView slicing and indexing, against index maps of the base.
    if ndim > 0 {
        var map = shape.map { Array(0..<$0) }
        let (sliceArrays, sliced) = ViewArrays.view(of: base)
        var layout = sliced
        for _ in 0..<(1 + input.below(3)) {
            let dim = input.below(ndim)
            let start = input.sliceBound(), stop = input.sliceBound()
            var step = input.sliceBound()
            if step == 0 { step = 1 }
            MemoryView.slice(&layout, dimension: dim, start: start, stop: stop, step: step)
            map[dim] = Reference.sliceIndices(count: map[dim].count, start: start, stop: stop, step: step).map { map[dim][$0] }
            check(layout.shape![dim] == map[dim].count, "slice length \(layout.shape![dim]) != \(map[dim].count)")
        }
        withExtendedLifetime(sliceArrays) {
            for index in Reference.indices(map.map(\.count)) {
                let got = Reference.address(layout, index, in: region, "of a slice")
                let want = Reference.address(base, zip(map, index).map { $0[$1] }, in: region)
                check(got == want, "slice element \(index) at the wrong address")
            }
            // Indexing: in range exactly when every index is; the address the reference's.
            let count = input.below(ndim + 2)
            let key = (0..<count).map { _ in input.small(6) }
            let mv = MemoryView(layout: layout)
            let valid = count <= ndim && key.enumerated().allSatisfy { d, i in i >= -map[d].count && i < map[d].count }
            do {
                let p = try mv.pointer(at: key)
                check(valid, "pointer(at: \(key)) accepted")
                let normal = key.enumerated().map { d, i in i < 0 ? i + map[d].count : i }
                check(p == Reference.address(layout, normal, in: region), "pointer(at: \(key)) address")
            } catch {
                check(!valid, "pointer(at: \(key)) refused: \(error)")
            }
            checkView(layout, code: code, region: region, &input)
        }

        // get_pointer and the first-dimension item of a full re-export.
        let probe = shape.map { $0 == 0 ? 0 : input.below($0) }
        if !shape.contains(0) {
            check(NDInspect.pointer(in: base, at: probe) == Reference.address(base, probe, in: region), "get_pointer(\(probe))")
            let item = NDBuffer(consuming: base, hasExporter: false)
            do {
                let p = try item.itemPointer(probe[0])
                check(p == Reference.address(base, [probe[0]], in: region), "itemPointer(\(probe[0]))")
                try item.narrowToItem(at: p)
                check(item.base.ndim == ndim - 1, "narrowToItem ndim")
                check(Reference.address(item.base, Array(probe.dropFirst()), in: region) == Reference.address(base, probe, in: region),
                      "narrowed item element \(probe)")
            } catch { check(false, "item \(probe[0]) of \(shape): \(error)") }
        }
        // A contiguous copy holds the elements in its order.
        let order: Layout.Order = [.c, .fortran, .any][input.below(3)]
        if let copy = try? NDBuffer(contiguousCopyOf: base, order: order) {
            let fortran = order == .fortran
            check(Layout.isContiguous(copy.base, order: fortran ? .fortran : .c), "contiguous copy in \(order)")
            let copyRegion = Region(copy.data!, count: copy.length)
            check(Reference.gather(copy.base, in: copyRegion) == baseBytes, "contiguous copy's elements")
        } else { check(false, "contiguous copy of \(shape)") }
        // index()'s search range.
        let n = input.below(8), a = input.sliceBound(), b = input.sliceBound()
        let range = MemoryView.searchRange(start: a, stop: b, length: n)
        let expected = Reference.sliceIndices(count: n, start: a, stop: b, step: 1)
        check(Array(range) == expected, "searchRange(\(a), \(b), \(n)) = \(range), not \(expected)")

        // The ndarray's own slicing (ndarray_subscript) gives the same elements.
        let consumer = NDBuffer(subviewOf: base, hasExporter: false)
        consumer.ownStructure()
        var map2 = shape.map { Array(0..<$0) }
        for _ in 0..<(1 + input.below(3)) {
            let dim = input.below(ndim)
            let start = input.sliceBound(), stop = input.sliceBound()
            var step = input.sliceBound()
            if step == 0 { step = 1 }
            let extent = (try? consumer.sliceExtent(dim)) ?? 0
            consumer.applySlice(Layout.Slice(start: start, stop: stop, step: step, count: extent), dimension: dim)
            map2[dim] = Reference.sliceIndices(count: map2[dim].count, start: start, stop: stop, step: step).map { map2[dim][$0] }
        }
        do { try consumer.finishSlicing() } catch { check(false, "finishSlicing: \(error)") }
        let cbase = consumer.base
        check(cbase.len == map2.reduce(itemsize) { $0 * $1.count }, "sliced ndarray len")
        for index in Reference.indices(map2.map(\.count)) {
            let got = Reference.address(cbase, index, in: region, "of an ndarray slice")
            check(got == Reference.address(base, zip(map2, index).map { $0[$1] }, in: region), "ndarray slice element \(index)")
        }
    }
}

/// What holds for any view: len, tobytes in each order, hex, comparison, assignment, casts.
func checkView(_ view: BufferDescriptor, code: UInt8, region: Region, _ input: inout Input) {
    let shape = Reference.shape(view)
    check(view.len == (view.ndim == 0 ? view.itemsize : shape.reduce(view.itemsize, *)), "len \(view.len) for \(shape)")
    let mv = MemoryView(layout: view)
    let cBytes = Reference.gather(view, in: region)
    let fBytes = Reference.gather(view, in: region, fortran: true)
    func tobytes(_ order: Layout.Order) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: max(view.len, 1)) { buffer, count in
            mv.copyBytes(into: UnsafeMutableRawPointer(buffer.baseAddress!), order: order)
            count = view.len
        }
    }
    check(tobytes(.c) == cBytes, "tobytes('C')")
    check(tobytes(.fortran) == fBytes, "tobytes('F')")
    let anyOrder = Layout.isContiguous(view, order: .fortran) && !Layout.isContiguous(view, order: .c)
    check(tobytes(.any) == (anyOrder ? fBytes : cBytes), "tobytes('A')")

    // hex
    let per = Int32(input.small(9))
    if let n = try? MemoryView.hexLength(byteCount: cBytes.count, bytesPerSeparator: per) {
        let hex = [UInt8](unsafeUninitializedCapacity: max(n, 1)) { buffer, count in
            cBytes.withUnsafeBytes { MemoryView.writeHex($0, separator: 0x3A, bytesPerSeparator: per, into: buffer.baseAddress!) }
            count = n
        }
        check(hex == Reference.hex(cBytes, separator: 0x3A, per: Int(per)), "hex(':', \(per))")
    } else {
        check(false, "hexLength refused \(cBytes.count) bytes")
    }

    // Comparison: reflexive without NaNs; equal to a contiguous copy; a changed byte of an
    // integer format is seen.
    let element = ElementCodec.Code(ascii: code)!
    var hasNaN = false
    if element.kind == .floatingPoint {
        let indexCount = view.ndim == 0 ? 1 : Reference.indices(shape).count
        cBytes.withUnsafeBytes { b in
            for i in 0..<indexCount {
                if case .float(let d) = ElementCodec.unpack(element, from: b.baseAddress! + i * view.itemsize), d.isNaN { hasNaN = true }
            }
        }
    }
    if !hasNaN {
        check(MemoryView.elementsEqual(view, view, code: element), "a view is not equal to itself")
    }
    var copy = cBytes
    copy.withUnsafeMutableBytes { buffer in
        guard let memory = buffer.baseAddress else { return }
        Layout.withContiguousLayout(like: view, at: memory, order: .c) { contiguous in
            if !hasNaN {
                check(MemoryView.elementsEqual(view, contiguous, code: element), "a view differs from its contiguous copy")
            }
            if !cBytes.isEmpty && element.kind != .floatingPoint && element != .bool {
                let i = input.below(cBytes.count)
                memory.storeBytes(of: cBytes[i] ^ 0x01, toByteOffset: i, as: UInt8.self)
                check(!MemoryView.elementsEqual(view, contiguous, code: element), "a changed byte compares equal")
                memory.storeBytes(of: cBytes[i], toByteOffset: i, as: UInt8.self)
            }
            // Assignment from the contiguous copy: the bytes read back, when no two indices share
            // an element (stride 0 and PIL rows may alias).
            if view.ndim > 0 && !view.readonly {
                var addresses = Set<UInt>()
                for index in Reference.indices(shape) { addresses.insert(UInt(bitPattern: Reference.address(view, index, in: region))) }
                let distinct = addresses.count == Reference.indices(shape).count
                var fresh = cBytes.map { $0 &+ 0x5B }
                fresh.withUnsafeMutableBytes { source in
                    guard let s = source.baseAddress else { return }
                    Layout.withContiguousLayout(like: view, at: s, order: .c) { contiguousSource in
                        do { try NDAssignment.copy(contiguousSource, into: view) } catch { check(false, "assignment: \(error)") }
                    }
                }
                if distinct { check(Reference.gather(view, in: region) == fresh, "assignment did not write the elements") }
                // Restore, through scatter this time.
                cBytes.withUnsafeBytes { StridedCopy.scatter(from: $0.baseAddress!, order: .c, into: view) }
                if distinct { check(Reference.gather(view, in: region) == cBytes, "scatter did not restore the elements") }
            }
        }
    }

    // Casts, and back.
    fuzzCast(view, code: code, region: region, bytes: cBytes, &input)
}

/// One memoryview cast with the core's whole operation; nil when it raises.
func cast(_ source: BufferDescriptor, to format: [UInt8], shape: [Int]?, arrays: inout ViewArrays?) -> BufferDescriptor? {
    let mv = MemoryView(layout: source)
    let formatBytes = UnsafeMutableRawBufferPointer.allocate(byteCount: format.count + 1, alignment: 1)
    defer { formatBytes.deallocate() }
    formatBytes.copyBytes(from: format + [0])
    do {
        let view = try mv.cast(
            sourceCharacter: MemoryView.formatCharacter(of: source.format),
            shapeGiven: shape != nil,
            shapeLength: { () throws(SwiftBufferError) -> Int in shape!.count },
            makeView: { (ndim: Int) throws(SwiftBufferError) -> BufferDescriptor in
                let a = ViewArrays(ndim: ndim)
                arrays = a
                var layout = source
                layout.shape = a.storage
                layout.strides = a.storage + ndim
                layout.suboffsets = nil
                return layout
            },
            format: { () throws(SwiftBufferError) -> UnsafeRawBufferPointer in UnsafeRawBufferPointer(rebasing: formatBytes[0..<format.count]) },
            extent: { (i: Int) throws(SwiftBufferError) -> Int in shape![i] })
        check(view.contiguity == Contiguity(of: view.layout), "cast's flags differ from init_flags'")
        return view.layout
    } catch {
        return nil
    }
}

func fuzzCast(_ view: BufferDescriptor, code: UInt8, region: Region, bytes: [UInt8], _ input: inout Input) {
    let target = input.below(8) == 0 ? input.take(2) : (input.bool() ? [0x40] : []) + [elementCodes[input.below(elementCodes.count)]]
    var shape: [Int]? = nil
    if input.bool() { shape = (0..<input.below(4)).map { _ in input.below(8) == 0 ? input.small(2) : 1 + input.below(6) } }
    var arrays: ViewArrays? = nil
    guard let result = cast(view, to: target, shape: shape, arrays: &arrays) else { return }
    withExtendedLifetime(arrays) {
        check(MemoryView(layout: view).isCContiguous, "cast of a non-C-contiguous view")
        check(result.len == view.len, "cast changed len")
        let rshape = Reference.shape(result)
        check(result.len == (result.ndim == 0 ? result.itemsize : rshape.reduce(result.itemsize, *)), "cast len != product(shape) * itemsize")
        check(Layout.isContiguous(result, order: .c), "cast result not C-contiguous")
        check(Reference.gather(result, in: region) == bytes, "cast changed the bytes")
        // Back: to bytes, then to the original format and shape.
        guard code != UInt8(ascii: "e") else { return }
        var a1: ViewArrays? = nil, a2: ViewArrays? = nil
        guard let flat = cast(result, to: [UInt8(ascii: "B")], shape: nil, arrays: &a1) else {
            check(result.ndim != 1 && rshape.contains(0), "cast to 'B' refused"); return
        }
        let original = Reference.shape(view)
        let back = cast(flat, to: [code], shape: view.ndim == 1 ? nil : original, arrays: &a2)
        withExtendedLifetime((a1, a2)) {
            guard let back = back else {
                check(original.contains(0) || view.ndim == 0 && view.len != view.itemsize, "cast back to \(original) refused")
                return
            }
            check(Reference.shape(back) == original && back.itemsize == view.itemsize
                  && MemoryView.formatCharacter(of: back.format) == code, "cast back has another layout")
            check(Reference.gather(back, in: region) == bytes, "cast back changed the bytes")
        }
    }
}
