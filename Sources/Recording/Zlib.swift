import CZlib
import Foundation

/// zlib's deflate and CRC-32, the only compression a recording uses: one self-contained stream per
/// record, so any record decodes without the ones before it.
enum Zlib {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func compress(_ input: Data, level: Int32 = 6) throws -> Data {
        var capacity = compressBound(uLong(input.count))
        var output = Data(count: Int(capacity))
        let status = output.withUnsafeMutableBytes { out in
            input.withUnsafeBytes { inp in
                compress2(
                    out.baseAddress!.assumingMemoryBound(to: Bytef.self), &capacity,
                    inp.baseAddress?.assumingMemoryBound(to: Bytef.self), uLong(input.count), level)
            }
        }
        guard status == Z_OK else { throw Failure(description: "zlib compress2 failed with status \(status)") }
        output.count = Int(capacity)
        return output
    }

    /// `expectedSize` comes from the record header; a stream that inflates to anything else is damage.
    static func decompress(_ input: Data, expectedSize: Int) throws -> Data {
        var size = uLongf(expectedSize)
        var output = Data(count: max(expectedSize, 1))
        let status = output.withUnsafeMutableBytes { out in
            input.withUnsafeBytes { inp in
                uncompress(
                    out.baseAddress!.assumingMemoryBound(to: Bytef.self), &size,
                    inp.baseAddress?.assumingMemoryBound(to: Bytef.self), uLong(input.count))
            }
        }
        guard status == Z_OK, Int(size) == expectedSize else {
            throw Failure(description: "compressed payload does not inflate (zlib status \(status))")
        }
        output.count = expectedSize
        return output
    }

    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(CZlib.crc32(0, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(bytes.count)))
    }

    static func crc32(_ data: Data) -> UInt32 { data.withUnsafeBytes { crc32($0) } }
}
