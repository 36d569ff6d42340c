import Testing
import SwiftBuffer

/// What an exporter must hand out for one request, written independently of `ExportRules`:
/// the decision list of `ndarray_getbuf` (_testbuffer.c) and `memory_getbuf` (memoryobject.c),
/// with "was X asked for" spelled as set inclusion of the C macros' composite constants.
enum ExportOracle {
    enum Outcome: Equatable {
        case refused(ExporterVoice.Refusal)
        case answered(format: String?, ndim: Int, hasShape: Bool, hasStrides: Bool, hasSuboffsets: Bool)
    }

    static func answer(_ flags: Int32, layout: TestLayout, contiguity: Contiguity) -> Outcome {
        let request = BufferRequest(rawValue: flags)
        func asked(_ r: BufferRequest) -> Bool { request.isSuperset(of: r) }
        let c = contiguity.contains(.c), f = contiguity.contains(.fortran)
        let pil = contiguity.contains(.pil)

        if asked(.writable) && layout.readonly { return .refused(.notWritable) }
        let format: String? = asked(.format) ? (layout.format ?? "B") : nil
        if asked(.cContiguous) && !c { return .refused(.notCContiguous) }
        if asked(.fContiguous) && !f { return .refused(.notFortranContiguous) }
        if asked(.anyContiguous) && !(c || f) { return .refused(.notContiguous) }
        if !asked(.indirect) && pil { return .refused(.needsSuboffsets) }
        var hasStrides = layout.strides != nil
        if !asked(.strides) {
            if !c { return .refused(.notCContiguous) }
            hasStrides = false
        }
        if !asked(.nd) {
            if format != nil { return .refused(.formatWithoutShape) }
            return .answered(format: nil, ndim: 1, hasShape: false, hasStrides: hasStrides, hasSuboffsets: layout.suboffsets != nil)
        }
        return .answered(format: format, ndim: layout.shape.count, hasShape: true, hasStrides: hasStrides,
                         hasSuboffsets: layout.suboffsets != nil)
    }
}

@Suite struct ExportRulesTests {
    static let voices: [ExporterVoice] = [.memoryview, .ndarray, .buffer]

    /// Every flag value the low 9 bits can spell (every PyBUF_* bit and combination, including
    /// nonsensical ones such as STRIDES without ND) over every layout, read-only or not, in each
    /// exporter's voice.
    @Test(arguments: [false, true])
    func everyRequestOverEveryLayout(readonly: Bool) throws {
        for layout in everyLayout(readonly: readonly) {
            let base = layout.descriptor
            let contiguity = Contiguity(of: base)
            for voice in Self.voices {
                for flags in Int32(0)..<0x200 {
                    let expected = ExportOracle.answer(flags, layout: layout, contiguity: contiguity)
                    let result: Result<BufferDescriptor, SwiftBufferError>
                    do { result = .success(try ExportRules.answer(BufferRequest(rawValue: flags), base: base, contiguity: contiguity, voice: voice)) }
                    catch { result = .failure(error) }
                    switch (expected, result) {
                    case (.refused(let refusal), .failure(let error)):
                        #expect(error == .bufferError(voice.message(refusal)), "\(layout) flags=\(flags)")
                    case (.answered(let format, let ndim, let hasShape, let hasStrides, let hasSuboffsets), .success(let view)):
                        #expect(string(view.format) == format, "\(layout) flags=\(flags)")
                        #expect(view.ndim == ndim, "\(layout) flags=\(flags)")
                        #expect(view.shape == (hasShape ? base.shape : nil), "\(layout) flags=\(flags)")
                        #expect(view.strides == (hasStrides ? base.strides : nil), "\(layout) flags=\(flags)")
                        #expect(view.suboffsets == (hasSuboffsets ? base.suboffsets : nil), "\(layout) flags=\(flags)")
                        // Never changed by a request.
                        #expect(view.buf == base.buf && view.len == base.len && view.itemsize == base.itemsize
                                && view.readonly == base.readonly, "\(layout) flags=\(flags)")
                    default:
                        Issue.record("\(layout) flags=\(flags) voice=\(voice): expected \(expected), got \(result)")
                    }
                }
            }
        }
    }

    /// The messages are the exact strings of the CPython exporter each voice stands for.
    @Test func voices() {
        let memoryview = ExporterVoice.memoryview, ndarray = ExporterVoice.ndarray
        #expect(memoryview.message(.notWritable) == "memoryview: underlying buffer is not writable")
        #expect(memoryview.message(.notCContiguous) == "memoryview: underlying buffer is not C-contiguous")
        #expect(memoryview.message(.notFortranContiguous) == "memoryview: underlying buffer is not Fortran contiguous")
        #expect(memoryview.message(.notContiguous) == "memoryview: underlying buffer is not contiguous")
        #expect(memoryview.message(.needsSuboffsets) == "memoryview: underlying buffer requires suboffsets")
        #expect(memoryview.message(.formatWithoutShape) == "memoryview: cannot cast to unsigned bytes if the format flag is present")
        #expect(ndarray.message(.notWritable) == "ndarray is not writable")
        #expect(ndarray.message(.notCContiguous) == "ndarray is not C-contiguous")
        #expect(ndarray.message(.notFortranContiguous) == "ndarray is not Fortran contiguous")
        #expect(ndarray.message(.notContiguous) == "ndarray is not contiguous")
        #expect(ndarray.message(.needsSuboffsets) == "ndarray cannot be represented without suboffsets")
        #expect(ndarray.message(.formatWithoutShape) == "ndarray: cannot cast to unsigned bytes if the format flag is present")
        #expect(ExporterVoice.buffer.message(.notWritable) == "swiftbuf.Buffer is not writable")
    }

    /// The envelope gives its export back exactly once, whichever way it ends: every sequence
    /// of up to six register / unregister / release steps (unregister only of a registered
    /// view), then the owner's end, against a model of when the export must go back.
    @Test func managedExportReleasesOnce() {
        final class Storage: ManagedExport {
            var views = 0
            var isReleased = false
            var releases = 0
            var sawReleasedFlag = true
            func giveBackExport() {
                releases += 1
                sawReleasedFlag = sawReleasedFlag && isReleased
            }
        }
        enum Step: CaseIterable { case register, unregister, release }
        var sequences: [[Step]] = [[]]
        var frontier: [[Step]] = [[]]
        for _ in 0..<6 {
            frontier = frontier.flatMap { s in Step.allCases.map { s + [$0] } }
            sequences += frontier
        }
        var checked = 0
        for steps in sequences {
            let storage = Storage()
            var modelViews = 0
            var modelReleased = false
            var valid = true
            for step in steps {
                switch step {
                case .register:
                    storage.register(); modelViews += 1
                case .unregister:
                    if modelViews == 0 { valid = false; break }
                    storage.unregister(); modelViews -= 1
                    if modelViews == 0 { modelReleased = true }
                case .release:
                    storage.releaseExport(); modelReleased = true
                }
                if !valid { break }
                #expect(storage.views == modelViews, "\(steps)")
                #expect(storage.isReleased == modelReleased, "\(steps)")
                #expect(storage.releases == (modelReleased ? 1 : 0), "\(steps)")
            }
            if !valid { continue }
            storage.releaseExport()   // the owner's end
            #expect(storage.releases == 1 && storage.isReleased && storage.sawReleasedFlag, "\(steps)")
            checked += 1
        }
        #expect(checked > 100)
    }

    @Test func exportCount() throws {
        var count = ExportCount()
        try count.requireNone("unused")
        count.opened(); count.opened()
        #expect(count.live == 2)
        #expect(throws: SwiftBufferError.bufferError("busy")) { try count.requireNone("busy") }
        count.closed(); count.closed()
        #expect(count.live == 0)
        try count.requireNone("unused")
    }
}
