import Testing
import SwiftBuffer

/// The PyBUF_* constants of CPython 3.11's `Include/pybuffer.h` (checked against
/// `_testbuffer.PyBUF_*`).
@Suite struct BufferRequestTests {
    static let constants: [(String, BufferRequest, Int32)] = [
        ("PyBUF_SIMPLE", .simple, 0x0),
        ("PyBUF_WRITABLE", .writable, 0x1),
        ("PyBUF_FORMAT", .format, 0x4),
        ("PyBUF_ND", .nd, 0x8),
        ("PyBUF_STRIDES", .strides, 0x18),
        ("PyBUF_C_CONTIGUOUS", .cContiguous, 0x38),
        ("PyBUF_F_CONTIGUOUS", .fContiguous, 0x58),
        ("PyBUF_ANY_CONTIGUOUS", .anyContiguous, 0x98),
        ("PyBUF_INDIRECT", .indirect, 0x118),
        ("PyBUF_CONTIG", .contig, 0x9),
        ("PyBUF_CONTIG_RO", .contigRO, 0x8),
        ("PyBUF_STRIDED", .strided, 0x19),
        ("PyBUF_STRIDED_RO", .stridedRO, 0x18),
        ("PyBUF_RECORDS", .records, 0x1d),
        ("PyBUF_RECORDS_RO", .recordsRO, 0x1c),
        ("PyBUF_FULL", .full, 0x11d),
        ("PyBUF_FULL_RO", .fullRO, 0x11c),
        ("PyBUF_READ", .read, 0x100),
        ("PyBUF_WRITE", .write, 0x200),
    ]

    @Test(arguments: constants)
    func rawValue(name: String, request: BufferRequest, value: Int32) {
        #expect(request.rawValue == value, "\(name)")
        #expect(BufferRequest(rawValue: value) == request, "\(name)")
    }

    /// Each composite request includes the requests it implies, as the C macros are built.
    @Test func compositesImplyTheirParts() {
        #expect(BufferRequest.strides.isSuperset(of: .nd))
        for contiguous in [BufferRequest.cContiguous, .fContiguous, .anyContiguous, .indirect] {
            #expect(contiguous.isSuperset(of: .strides))
        }
        #expect(BufferRequest.full == [.indirect, .writable, .format])
        #expect(BufferRequest.records == [.strides, .writable, .format])
        #expect(!BufferRequest.cContiguous.isSuperset(of: .fContiguous))
        #expect(!BufferRequest.fContiguous.isSuperset(of: .anyContiguous))
    }
}
