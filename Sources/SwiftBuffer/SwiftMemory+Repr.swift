// MARK: - What repr shows (NumPy's summarisation)
//
// A Buffer's repr shows its elements when memoryview can read them. Beyond `reprThreshold`
// elements it shows `reprEdgeItems` at each end of every dimension longer than twice that,
// with `...` between them, as NumPy's `np.set_printoptions(threshold=1000, edgeitems=3)`.

extension SwiftMemory {
    public static let reprThreshold = 1000
    public static let reprEdgeItems = 3

    /// Whether repr shortens this layout's data.
    public var reprSummarizes: Bool { itemsize > 0 && byteCount / itemsize > SwiftMemory.reprThreshold }

    /// The indices repr shows along a dimension of `extent`, nil standing for `...`.
    public static func reprIndices(extent: Int, summarize: Bool) -> [Int?] {
        if !summarize || extent <= 2 * reprEdgeItems { return Array(0..<extent) }
        return Array(0..<reprEdgeItems) + [nil] + Array((extent - reprEdgeItems)..<extent)
    }
}
