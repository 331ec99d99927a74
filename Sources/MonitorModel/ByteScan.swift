/// Eight bytes at a time: which bytes of a word are one a scan must stop at. The JSON scans (the
/// monitoring documents' decoder, the system account's envelope scan) use it to jump over the long runs
/// of bytes they have no business with — ids, addresses, indentation — instead of looking at each.
/// Public and inlinable: it runs for every eight bytes of a poll's 15 MB, from other modules too, and a
/// call each time cost more than the test itself (`package` functions were not inlined across modules).
public enum ByteScan {
    /// The eight bytes of `bytes` from `offset` (which must leave eight), the first one lowest.
    @inlinable @inline(__always)
    public static func word(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The bytes of `word` equal to `byte`, as the high bit of each.
    ///
    /// The bit-twiddling of "has a zero byte" ((x - 0x01…) & ~x & 0x80…, on word ^ the byte sought): a
    /// borrow can flag a byte after a true match, never one before it, so whether there is a match and
    /// where the first one is (`firstFlagged`) are exact; the flags after it are not.
    @inlinable @inline(__always)
    public static func matches(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let x = word ^ (UInt64(byte) &* 0x0101_0101_0101_0101)
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// The bytes of `word` below `limit` (at most 128), with the same exactness as `matches`.
    @inlinable @inline(__always)
    public static func below(_ word: UInt64, _ limit: UInt8) -> UInt64 {
        (word &- UInt64(limit) &* 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }

    /// The position in its word of the first flagged byte (flags not zero): any bit set in a byte flags
    /// it, so `matches` and `below` serve, and so does a word xor'ed with the byte to pass over.
    @inlinable @inline(__always)
    public static func firstFlagged(_ flags: UInt64) -> Int { flags.trailingZeroBitCount / 8 }

    /// From `offset`, eight bytes at a time, the position of the first byte `stops` flags in a word; or,
    /// with none, where fewer than eight bytes are left, which the caller reads one by one. (Past the end
    /// when `offset` is.)
    @inlinable @inline(__always)
    public static func firstStop(in bytes: UnsafeRawBufferPointer, from offset: Int, where stops: (UInt64) -> UInt64) -> Int {
        var position = offset
        while position + 8 <= bytes.count {
            let flags = stops(word(bytes, at: position))
            if flags != 0 { return position + firstFlagged(flags) }
            position += 8
        }
        return position
    }
}
