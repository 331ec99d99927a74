import Foundation
import NIOCore
@testable import Poller
import Testing

/// A response body becomes `Data` without a copy where the buffer is the body's own, and is copied where
/// it is a small part of a larger storage (holding it would hold the rest).
@Suite struct ResponseBodyTests {
    static func address(_ data: Data) -> UnsafeRawPointer? { data.withUnsafeBytes { UnsafeRawPointer($0.baseAddress) } }
    static func address(_ buffer: ByteBuffer) -> UnsafeRawPointer? { buffer.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) } }

    @Test func aBodyThatFillsItsBufferIsSharedNotCopied() {
        let bytes = (0..<60_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var buffer = ByteBufferAllocator().buffer(capacity: 64 * 1024)
        buffer.writeBytes(bytes)
        let data = HTTPMonitoringTransport.data(of: buffer)
        #expect(data == Data(bytes))
        #expect(Self.address(data) == Self.address(buffer), "the buffer's own storage")
        // The buffer is let go first: the Data keeps the storage alive and unchanged.
        let kept = { () -> Data in
            var scratch = ByteBufferAllocator().buffer(capacity: 8192)
            scratch.writeBytes(bytes.prefix(8000))
            return HTTPMonitoringTransport.data(of: scratch)
        }()
        #expect(kept == Data(bytes.prefix(8000)))
    }

    @Test func aSmallSliceOfALargeBufferIsCopied() {
        var buffer = ByteBufferAllocator().buffer(capacity: 64 * 1024)
        buffer.writeBytes([UInt8](repeating: 0x41, count: 50_000))
        buffer.moveReaderIndex(forwardBy: 45_000)  // a short body at the end of a long read
        let data = HTTPMonitoringTransport.data(of: buffer)
        #expect(data == Data(repeating: 0x41, count: 5_000))
        #expect(Self.address(data) != Self.address(buffer))
        var small = ByteBufferAllocator().buffer(capacity: 100)
        small.writeString("{\"server_id\":\"x\"}")
        #expect(HTTPMonitoringTransport.data(of: small) == Data("{\"server_id\":\"x\"}".utf8))
        #expect(HTTPMonitoringTransport.data(of: ByteBuffer()) == Data())
    }
}
