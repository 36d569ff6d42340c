import SwiftBuffer

// libFuzzer entry point: the first byte picks a case, the rest feeds its choices (Input).
// There is no Python here to differ from, so each case asserts what the spec fixes: no trap on
// any input the core accepts from a caller; formats re-parse to the same layout; every view
// (answered request, slice, cast) stays inside the memory it came from and addresses the same
// elements as the harness's own walk (Reference.swift); len == product(shape) * itemsize;
// tobytes and hex equal a naive gather; a cast and its inverse give back the bytes; comparison
// is reflexive without NaNs. A broken invariant traps (`check`), which libFuzzer saves.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = Input(UnsafeBufferPointer(start: data, count: size))
    switch input.below(5) {
    case 0: fuzzFormat(&input)
    case 1: fuzzLayout(&input)
    case 2: fuzzCodec(&input)
    case 3: fuzzSwiftMemory(&input)
    default: fuzzDLPack(&input)
    }
    return 0
}

// MARK: - Formats

/// The struct grammar: a parsed format's items must be in order, aligned in native mode, packed
/// in the standard modes, and end where itemsize says; its canonical form (prefix, then each
/// item with its count, pads written out) must parse to the same items and itemsize; the other
/// native-format recogniser (`ElementCodec.Code(format:)`, the only one) must agree with the
/// parser.
func fuzzFormat(_ input: inout Input) {
    let format = input.take(input.below(64))
    let c1 = ElementCodec.Code(format: format)
    if let c3 = ElementCodec.Code(memoryviewFormat: format) { check(c3 == c1 && c3 != .half, "memoryview format \(format)") }

    let parsed: StructFormat
    do { parsed = try StructFormat(parsing: format) } catch {
        check(c1 == nil, "a native code \(format) failed to parse")
        do { _ = try SwiftMemory.itemsize(of: format); check(false, "itemsize(of:) accepted unparsable \(format)") } catch {}
        return
    }
    if let c1 = c1 {
        check(parsed.byteOrder == .native && parsed.items.count == 1 && parsed.items[0].code == c1.rawValue
                  && parsed.items[0].count == 1 && parsed.itemsize == c1.size, "single code \(format)")
    }
    let native = parsed.byteOrder == .native
    var end = 0
    for item in parsed.items {
        let (size, alignment) = StructFormat.sizeAndAlignment(of: item.code, order: parsed.byteOrder)!
        let isString = item.code == UInt8(ascii: "s") || item.code == UInt8(ascii: "p")
        check(isString ? item.size == item.count : item.size == size && item.count > 0, "item size in \(format)")
        check(item.offset >= end, "items overlap in \(format)")
        if native {
            // Zero-count items in between may align further, never by a whole alignment unit.
            check(item.offset % alignment == 0 && item.offset - end < 8, "alignment in \(format)")
        } else {
            check(item.offset == end, "padding in standard mode in \(format)")
        }
        end = item.offset + (isString ? item.count : item.count * size)
    }
    check(parsed.itemsize >= end && (native ? parsed.itemsize - end < 8 : parsed.itemsize == end),
          "itemsize \(parsed.itemsize) of \(format) against items ending at \(end)")
    // Canonical form: explicit prefix, counts, and the gaps as pad bytes.
    var canonical: [UInt8]
    switch parsed.byteOrder {
    case .native: canonical = [UInt8(ascii: "@")]
    case .nativeStandard: canonical = [UInt8(ascii: "=")]
    case .little: canonical = [UInt8(ascii: "<")]
    case .big: canonical = [UInt8(ascii: ">")]
    }
    var at = 0
    for item in parsed.items {
        let alignment = StructFormat.sizeAndAlignment(of: item.code, order: parsed.byteOrder)!.alignment
        let natural = native ? (at + alignment - 1) / alignment * alignment : at
        if item.offset != natural { canonical += Array("\(item.offset - at)x".utf8) }
        canonical += Array("\(item.count)".utf8) + [item.code]
        at = item.offset + (item.size * (item.code == UInt8(ascii: "s") || item.code == UInt8(ascii: "p") ? 1 : item.count))
    }
    if parsed.itemsize > at { canonical += Array("\(parsed.itemsize - at)x".utf8) }
    do {
        let again = try StructFormat(parsing: canonical)
        let pads = UInt8(ascii: "x")
        check(again.itemsize == parsed.itemsize && again.byteOrder == parsed.byteOrder
              && again.items.filter { $0.code != pads } == parsed.items.filter { $0.code != pads },
              "canonical form \(String(decoding: canonical, as: UTF8.self)) of \(format) parses differently")
    } catch {
        check(false, "canonical form \(String(decoding: canonical, as: UTF8.self)) of \(format) fails: \(error)")
    }
    do {
        let size = try SwiftMemory.itemsize(of: format)
        check(size == parsed.itemsize && size > 0, "SwiftMemory.itemsize of \(format)")
    } catch {
        check(parsed.itemsize == 0, "SwiftMemory.itemsize refused \(format) of itemsize \(parsed.itemsize)")
    }
}

// MARK: - Element codecs

/// unpack then pack gives back the bytes (normalised for `?`; NaNs, whose payload a float
/// conversion may change, excepted); binary16 round-trips through Double.
func fuzzCodec(_ input: inout Input) {
    let code = ElementCodec.Code.allCases[input.below(ElementCodec.Code.allCases.count)]
    var bytes = input.take(8)
    while bytes.count < 8 { bytes.append(0) }
    var out = [UInt8](repeating: 0xAA, count: 8)
    let value = bytes.withUnsafeBytes { ElementCodec.unpack(code, from: $0.baseAddress!) }
    if case .float(let d) = value, d.isNaN { return }
    let failure = out.withUnsafeMutableBytes { ElementCodec.pack(value, as: code, into: $0.baseAddress!) }
    check(failure == nil, "pack refused the unpacked \(value) as \(code)")
    var expected = Array(bytes[0..<code.size])
    if code == .bool { expected = [bytes[0] == 0 ? 0 : 1] }
    check(Array(out[0..<code.size]) == expected, "round trip of \(code): \(bytes) -> \(value) -> \(out)")
    check(out[code.size...].allSatisfy { $0 == 0xAA }, "pack of \(code) wrote past its size")
    let equal = bytes.withUnsafeBytes { p in out.withUnsafeBytes { q in ElementCodec.equal(code, p.baseAddress!, q.baseAddress!) } }
    check(equal || code == .bool, "equal() not reflexive after a round trip of \(code)")
    let h = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
    let x = ElementCodec.halfToDouble(h)
    if !x.isNaN { check(ElementCodec.doubleToHalf(x) == h, "binary16 \(h) -> \(x) does not round-trip") }
    let d = bytes.withUnsafeBytes { $0.loadUnaligned(as: Double.self) }
    if let h2 = ElementCodec.doubleToHalf(d), !d.isNaN {
        let back = ElementCodec.halfToDouble(h2)
        check(back.isInfinite == d.isInfinite || abs(d) >= 65504, "doubleToHalf(\(d)) = \(back)")
    }
}

// MARK: - Swift-owned memory

/// Shape validation, construction, resize and export counting of SwiftMemory; raw memory with
/// caller strides is accepted exactly when every element lies inside it.
func fuzzSwiftMemory(_ input: inout Input) {
    let ndim = input.below(8) == 0 ? 60 + input.below(8) : input.below(5)
    var shape: [Int] = []
    for _ in 0..<ndim {
        switch input.below(12) {
        case 0: shape.append(input.int64())
        case 1: shape.append(-1)
        case 2: shape.append(Int.max / (1 + input.below(4)))
        default: shape.append(input.below(5))
        }
    }
    let formats: [[UInt8]] = [[0x42], [0x64], Array("3s".utf8), Array("<hxq".utf8), Array("0i".utf8), Array("T{i}".utf8), [0x65]]
    let format = input.below(4) == 0 ? input.take(input.below(6)) : formats[input.below(formats.count)]
    let order: Layout.Order = input.bool() ? .fortran : .c
    guard let itemsize = try? SwiftMemory.itemsize(of: format) else { return }
    let count: Int
    do { count = try SwiftMemory.validatedByteCount(shape: shape, format: format, itemsize: itemsize) } catch {
        // Refused: too many dimensions, a negative extent, or a product past Int.max.
        var product = itemsize.magnitude, overflow = false
        for e in shape where e > 0 {
            let (p, o) = product.multipliedReportingOverflow(by: e.magnitude)
            if o || p > UInt(Int.max) { overflow = true } else { product = p }
        }
        check(ndim > 64 || shape.contains { $0 < 0 } || overflow, "validatedByteCount refused \(shape)")
        return
    }
    check(ndim <= 64 && !shape.contains { $0 < 0 }, "validatedByteCount accepted \(shape)")
    check(shape.contains(0) ? count == 0 : count == shape.reduce(itemsize, *), "byte count of \(shape)")
    guard count <= 1 << 16 else { return }
    let memory: SwiftMemory
    do { memory = try SwiftMemory(zeroedShape: shape, format: format, order: order) } catch {
        check(false, "SwiftMemory refused a validated shape \(shape): \(error)")
        return
    }
    checkSwiftMemory(memory, shape: shape, order: order)
    // Resize: refused while exported, else the new shape with the leading bytes kept.
    let newShape = (0..<input.below(4)).map { _ in input.below(5) }
    memory.exports.opened()
    do { try memory.resize(shape: newShape); check(false, "resize while exported") } catch {}
    memory.exports.closed()
    let before = memory.withUnsafeMutableBytes { Array($0) }
    do { try memory.resize(shape: newShape) } catch { check(false, "resize to \(newShape) refused: \(error)"); return }
    checkSwiftMemory(memory, shape: newShape, order: order)
    let after = memory.withUnsafeMutableBytes { Array($0) }
    let kept = min(before.count, after.count)
    check(Array(before[0..<kept]) == Array(after[0..<kept]) && after[kept...].allSatisfy { $0 == 0 }, "resize kept the wrong bytes")

    // Raw memory: accepted exactly when the layout stays inside (brute force over the elements).
    let rawCount = input.below(64)
    let rawShape = (0..<input.below(4)).map { _ in input.below(4) }
    let rawStrides: [Int]? = input.bool() ? nil : rawShape.map { _ in input.small(12) }
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(rawCount, 1), alignment: 16)
    var inside = true
    let strides = rawStrides ?? Layout.contiguousStrides(shape: rawShape, itemsize: itemsize, order: .c)
    for index in Reference.indices(rawShape) {
        let offset = zip(index, strides).reduce(0) { $0 + $1.0 * $1.1 }
        if offset < 0 || offset + itemsize > rawCount { inside = false }
    }
    let multiples = strides.allSatisfy { $0 % itemsize == 0 }
    let negative = strides.contains { $0 < 0 }
    let accept = !negative && (rawShape.contains(0) || (multiples && inside))
    do {
        let m = try SwiftMemory(unsafePointer: raw, byteCount: rawCount, format: format, shape: rawShape,
                                strides: rawStrides, deallocator: { $0.deallocate() })
        check(accept, "raw memory accepted \(rawShape) \(strides) in \(rawCount) bytes")
        let region = Region(raw, count: rawCount)
        for index in Reference.indices(rawShape) { _ = Reference.address(m.descriptor, index, in: region) }
    } catch {
        raw.deallocate()
        check(!accept, "raw memory refused \(rawShape) \(strides) in \(rawCount) bytes: \(error)")
    }
}

func checkSwiftMemory(_ memory: SwiftMemory, shape: [Int], order: Layout.Order) {
    let d = memory.descriptor
    check(memory.shape == shape && d.ndim == shape.count, "shape \(memory.shape) for \(shape)")
    check(d.len == (shape.contains(0) ? 0 : shape.reduce(memory.itemsize, *)), "len of \(shape)")
    var expected = [Int](repeating: 0, count: shape.count), step = memory.itemsize
    for dim in (order == .fortran ? Array(shape.indices) : shape.indices.reversed()) { expected[dim] = step; step *= shape[dim] }
    check(memory.strides == expected, "strides \(memory.strides) for \(shape) in \(order)")
    let region = Region(memory.base, count: max(d.len, 0))
    for index in Reference.indices(shape) { _ = Reference.address(d, index, in: region) }
}

// MARK: - DLPack

/// Formats and DLPack types convert both ways consistently; an imported layout's span is
/// exactly what its elements reach from the data pointer.
func fuzzDLPack(_ input: inout Input) {
    let formats: [[UInt8]] = ["b", "B", "?", "e", "f", "d", "@q", "=i", "<H", ">d", "2i", "xB", "c", "P"].map { Array($0.utf8) }
    let format = input.bool() ? input.take(input.below(4)) : formats[input.below(formats.count)]
    if let type = try? DLPack.dataType(of: format) {
        check(type.lanes == 1 && (try? SwiftMemory.itemsize(of: format)) == Int(type.bits) / 8, "DLPack type of \(format)")
        do {
            let back = try DLPack.format(of: type)
            check((try? DLPack.dataType(of: back)) == type, "DLPack format \(back) of \(type)")
        } catch { check(false, "DLPack type \(type) of \(format) has no format") }
    }
    let type = DLPack.DataType(code: input.byte() % 8, bits: [8, 16, 32, 64, 128, 7][input.below(6)], lanes: input.below(8) == 0 ? 2 : 1)
    if let f = try? DLPack.format(of: type) {
        check((try? DLPack.dataType(of: f)) == type, "DLPack round trip of \(type) through \(f)")
    }
    let itemsize = [1, 2, 4, 8][input.below(4)]
    let shape = (0..<input.below(5)).map { _ in input.below(10) == 0 ? (input.bool() ? -1 : Int.max / 3) : input.below(5) }
    let elementStrides: [Int]? = input.bool() ? nil : shape.map { _ in input.below(10) == 0 ? input.int64() : input.small(6) }
    guard let (strides, span) = try? DLPack.importedLayout(shape: shape, elementStrides: elementStrides, itemsize: itemsize) else {
        return
    }
    check(!shape.contains { $0 < 0 } && strides.allSatisfy { $0 >= 0 }, "importedLayout accepted \(shape) \(strides)")
    if shape.contains(0) { check(span == 0, "span of an empty tensor"); return }
    guard shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }) <= 4096 else { return }
    var reach = 0
    for index in Reference.indices(shape) { reach = max(reach, zip(index, strides).reduce(0) { $0 + $1.0 * $1.1 } + itemsize) }
    check(reach == span, "importedLayout span \(span) of \(shape) \(strides), elements reach \(reach)")
    if elementStrides == nil { check(strides == Layout.contiguousStrides(shape: shape, itemsize: itemsize, order: .c), "C strides") }
}
