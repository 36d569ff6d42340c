import Testing
import SwiftBuffer

/// A nested value as the walk's builder makes it: a row of items or one element's value.
private indirect enum Nested: Equatable {
    case row([Nested])
    case element(Int32)
}

/// Rows are boxes the builder fills by index, so `store` sees exactly what the walk hands over.
private final class Row {
    var items: [Nested?]
    init(_ count: Int) { items = Array(repeating: nil, count: count) }
}

private enum Built { case row(Row), element(Int32) }

private struct WalkFailure: Error, Equatable { let element: Int }

/// Records every call, fails at element number `failAt` (counting from 0), or at a row of
/// `failRowOfCount` items.
private final class Recorder: NestedBuilder {
    var events: [String] = []
    var elements = 0
    var abandoned = 0
    let failAt: Int?
    init(failAt: Int? = nil) { self.failAt = failAt }

    func beginRow(count: Int) throws(WalkFailure) -> Built {
        events.append("row \(count)")
        return .row(Row(count))
    }
    func element(_ pointer: UnsafeRawPointer) throws(WalkFailure) -> Built {
        defer { elements += 1 }
        if elements == failAt { throw WalkFailure(element: elements) }
        return .element(unsafe pointer.load(as: Int32.self))
    }
    func store(_ item: Built, at index: Int, in row: Built) {
        guard case .row(let r) = row else { Issue.record("store into an element"); return }
        #expect(r.items[index] == nil, "index \(index) stored twice")
        r.items[index] = Self.value(item)
    }
    func abandon(_ row: Built) { abandoned += 1 }

    static func value(_ built: Built) -> Nested {
        switch built {
        case .element(let v): return .element(v)
        case .row(let r): return .row(r.items.map { $0 ?? .element(-1) })
        }
    }
}

/// The reference: PEP 3118's address of each index, one level of lists per dimension.
private func referenceNested(_ layout: TestLayout, prefix: [Int] = []) -> Nested {
    if prefix.count == layout.shape.count { return .element(unsafe layout.address(of: prefix).load(as: Int32.self)) }
    return .row((0..<layout.shape[prefix.count]).map { referenceNested(layout, prefix: prefix + [$0]) })
}

@Suite struct NestedWalkTests {
    @Test func buildsTheReferenceNestingForEveryLayout() throws {
        for layout in everyLayout() where layout.itemsize == 4 {
            layout.fillDistinct()
            let recorder = Recorder()
            let built = try unsafe Layout.buildNested(layout.descriptor, at: layout.buf, recorder)
            #expect(Recorder.value(built) == referenceNested(layout), "\(layout)")
            #expect(recorder.elements == layout.count, "\(layout)")
            #expect(recorder.abandoned == 0)
        }
    }

    @Test func rowsAreMadeInCOrderBeforeTheirItems() throws {
        let layout = TestLayout.pil(shape: [2, 2, 3])
        layout.fillDistinct()
        let recorder = Recorder()
        _ = try unsafe Layout.buildNested(layout.descriptor, at: layout.buf, recorder)
        #expect(recorder.events == ["row 2", "row 2", "row 3", "row 3", "row 2", "row 3", "row 3"])
    }

    @Test func anErrorStopsAtThatElementAndAbandonsEveryOpenRow() {
        for layout in everyLayout() where layout.count > 0 && layout.itemsize == 4 {
            for failAt in [0, layout.count - 1, layout.count / 2] {
                let recorder = Recorder(failAt: failAt)
                #expect(throws: WalkFailure(element: failAt), "\(layout)") {
                    _ = try unsafe Layout.buildNested(layout.descriptor, at: layout.buf, recorder)
                }
                // No element after the failing one is converted.
                #expect(recorder.elements == failAt + 1, "\(layout)")
                // The failing element's row and each enclosing row are given up, nothing else:
                // complete rows were stored into their parents, which own them.
                #expect(recorder.abandoned == layout.shape.count, "\(layout)")
            }
        }
    }

    @Test func addressFollowsStridesAndSuboffsets() {
        // Along the first dimension (PIL layouts have it indirect), the rest of the index 0.
        for layout in everyLayout() where !layout.shape.isEmpty && !(layout.suboffsets?.dropFirst().contains { $0 >= 0 } ?? false) {
            let d = layout.descriptor
            for i in 0..<layout.shape[0] where !layout.shape.contains(0) {
                let rest = Array(repeating: 0, count: layout.shape.count - 1)
                #expect(unsafe Layout.address(i, of: layout.buf, stride: d.stride(0), suboffsets: d.suboffsets, dimension: 0)
                        == layout.address(of: [i] + rest), "\(layout)")
            }
        }
    }
}
