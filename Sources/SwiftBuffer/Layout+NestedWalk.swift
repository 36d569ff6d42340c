// MARK: - Nested walks (tolist_rec, memoryiter_next's item address)
//
// The one walk that turns a layout into nested rows: memoryview's tolist, `_testbuffer`'s
// ndarray.tolist() and, through `address`, memoryview iteration and count. The walk owns the
// layout (extents, strides, negative strides, suboffsets, 0-d); the caller's builder only makes
// and fills its containers, so the bridge builds Python lists with no walking logic.

/// What `Layout.buildNested` builds with: containers of items, one per row of the layout, and
/// one item per element. Errors are the builder's own (`Failure`), thrown at the element or row
/// where they happen, so a conversion error surfaces at the same item as in CPython's
/// `tolist_rec`: rows are made in C order, each one before its items.
public protocol NestedBuilder {
    associatedtype Item
    associatedtype Failure: Error
    /// A new row of `count` items, which the walk fills at indices 0..<count.
    func beginRow(count: Int) throws(Failure) -> Item
    /// The item for the element at `pointer` (for a 0-d layout, the whole result).
    func element(_ pointer: UnsafeRawPointer) throws(Failure) -> Item
    /// Stores `item` at `index` of `row`, which takes ownership of it.
    func store(_ item: Item, at index: Int, in row: Item)
    /// Disposes of a row whose filling failed; indices not yet stored hold nothing.
    func abandon(_ row: Item)
}

extension Layout {
    /// The address of item `index` of the row at `base` along dimension `dimension`:
    /// `base + index * stride`, then followed through that dimension's suboffset
    /// (`ADJUST_PTR`). `index` is in range; nothing is checked.
    @inlinable @inline(__always)
    public static func address(_ index: Int, of base: UnsafeMutableRawPointer, stride: Int,
                               suboffsets: UnsafeMutablePointer<Int>?, dimension: Int) -> UnsafeMutableRawPointer {
        unsafe follow(base + index &* stride, suboffsets, dimension: dimension)
    }

    /// `tolist_rec`: the nested rows of `view` with its elements at `base` (normally
    /// `view.buf`), built by `builder` in C order; for a 0-d layout the one element's item.
    @inlinable
    public static func buildNested<B: NestedBuilder>(_ view: BufferDescriptor, at base: UnsafeMutableRawPointer,
                                                     _ builder: B) throws(B.Failure) -> B.Item {
        if view.ndim == 0 { return try unsafe builder.element(base) }
        return try unsafe nestedRow(view, base, dimension: 0, builder)
    }

    @inlinable
    static func nestedRow<B: NestedBuilder>(_ view: BufferDescriptor, _ base: UnsafeMutableRawPointer, dimension: Int,
                                            _ builder: B) throws(B.Failure) -> B.Item {
        let extent = view.extent(dimension), stride = view.stride(dimension)
        let row = try builder.beginRow(count: extent)
        do throws(B.Failure) {
            var p = unsafe base
            if dimension == view.ndim - 1 {
                if let sub = unsafe view.suboffsets, unsafe sub[dimension] >= 0 {
                    for i in 0..<extent {
                        builder.store(try unsafe builder.element(follow(p, sub, dimension: dimension)), at: i, in: row)
                        unsafe p = unsafe p + stride
                    }
                } else {
                    for i in 0..<extent {
                        builder.store(try unsafe builder.element(p), at: i, in: row)
                        unsafe p = unsafe p + stride
                    }
                }
            } else {
                for i in 0..<extent {
                    builder.store(try unsafe nestedRow(view, follow(p, view.suboffsets, dimension: dimension),
                                                       dimension: dimension + 1, builder), at: i, in: row)
                    unsafe p = unsafe p + stride
                }
            }
        } catch {
            builder.abandon(row)
            throw error
        }
        return row
    }
}
