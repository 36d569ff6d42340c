import Testing
import SwiftBuffer

@Suite struct StructFormatTests {
    @Test func nativeAlignment() throws {
        #expect(try StructFormat(parsing: Array("@bi".utf8)).itemsize == 8)
        #expect(try StructFormat(parsing: Array("<bi".utf8)).itemsize == 5)
    }
}
