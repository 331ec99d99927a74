/// CRC-16/XMODEM (poly 0x1021, init 0), the checksum NKeys append little-endian.
public enum CRC16 {
    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 {
            crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(crc >> 8) ^ byte)]
        }
        return crc
    }

    /// Appends the checksum of `bytes` in the little-endian order NKeys use.
    static func appendChecksum(to bytes: inout [UInt8]) {
        let crc = checksum(bytes)
        bytes.append(UInt8(crc & 0xFF))
        bytes.append(UInt8(crc >> 8))
    }

    /// Splits off and checks a trailing little-endian checksum.
    static func verifyAndStrip(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 2 else { return nil }
        let body = Array(bytes.dropLast(2))
        let stored = UInt16(bytes[bytes.count - 2]) | UInt16(bytes[bytes.count - 1]) << 8
        return checksum(body) == stored ? body : nil
    }
}
