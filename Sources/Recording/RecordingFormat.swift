public import Foundation

/// The on-disk layout of a recording. Append-only and self-synchronising:
///
///     file   = "GWTOPREC" version:u32le flags:u32le   (16 bytes, once)
///     record = "GREC" payloadLength:u32le rawLength:u32le payloadCRC:u32le time:i64le headerCRC:u32le payload
///
/// `payload` is a zlib stream of one poll (`RecordedPoll`: its JSON, then its bodies as they arrived;
/// see `RecordedPollJSON` for the two payload formats); `time` is the poll's finish in
/// nanoseconds since 1970, so a reader indexes a recording without inflating it. Each record is written
/// with one write(2), so a recorder killed at any moment leaves every earlier record intact and at
/// worst a torn last one, which the CRCs reveal.
public enum RecordingFormat {
    public static let fileMagic = Array("GWTOPREC".utf8)
    public static let version: UInt32 = 1
    public static let fileHeaderSize = 16
    public static let recordMagic = Array("GREC".utf8)
    public static let recordHeaderSize = 28
    /// Larger claims are damage, not data: a poll of 250 servers is a few MB.
    public static let maximumRawLength = 1 << 30

    public static func fileHeader() -> Data {
        var data = Data(fileMagic)
        data.appendLittleEndian(version)
        data.appendLittleEndian(UInt32(0))
        return data
    }

    /// One framed record, ready for a single write.
    public static func frame(payload raw: Data, timeNanoseconds: Int64) throws -> Data {
        let payload = try Zlib.compress(raw)
        var header = Data(recordMagic)
        header.appendLittleEndian(UInt32(payload.count))
        header.appendLittleEndian(UInt32(raw.count))
        header.appendLittleEndian(Zlib.crc32(payload))
        header.appendLittleEndian(UInt64(bitPattern: timeNanoseconds))
        header.appendLittleEndian(Zlib.crc32(header))
        return header + payload
    }

    /// A record as found in a file: where it is, when it was taken, and its still-compressed payload.
    public struct Frame: Sendable {
        public var offset: Int
        public var timeNanoseconds: Int64
        public var rawLength: Int
        public var payload: Data

        public func inflate() throws -> Data { try Zlib.decompress(payload, expectedSize: rawLength) }
    }

    /// Damage found while scanning: bytes that are not a valid record.
    public struct Damage: Sendable, Equatable {
        public var offset: Int
        public var length: Int
        /// The bytes ran out in the middle of a record (a recorder stopped mid-write).
        public var atEnd: Bool
        public var reason: String
    }

    public struct ScanResult: Sendable {
        public var frames: [Frame]
        public var damage: [Damage]
    }

    public struct NotARecording: Error, CustomStringConvertible {
        public var description: String
    }

    /// Splits a whole file into records. Damage in the middle is skipped up to the next record that
    /// checks out (its header CRC and payload CRC both match), so one bad sector costs one record, not
    /// the rest of the night's recording.
    public static func scan(_ data: Data) throws -> ScanResult {
        guard data.count >= fileHeaderSize, Array(data.prefix(8)) == fileMagic else {
            if data.isEmpty { throw NotARecording(description: "the file is empty") }
            throw NotARecording(description: "it does not start with a gwtop recording header")
        }
        let fileVersion: UInt32 = data.readLittleEndian(at: 8)
        guard fileVersion == version else {
            throw NotARecording(description: "recording format version \(fileVersion) is not supported (this gwtop reads version \(version))")
        }
        var frames: [Frame] = []
        var damage: [Damage] = []
        var offset = fileHeaderSize
        var damageStart: Int?
        var damageReason = ""
        func closeDamage(at end: Int, atEnd: Bool) {
            if let start = damageStart {
                damage.append(Damage(offset: start, length: end - start, atEnd: atEnd, reason: damageReason))
                damageStart = nil
            }
        }
        while offset < data.count {
            switch validRecord(in: data, at: offset) {
            case .record(let frame, let next):
                closeDamage(at: offset, atEnd: false)
                frames.append(frame)
                offset = next
            case .invalid(let reason):
                if damageStart == nil {
                    damageStart = offset
                    damageReason = reason
                }
                offset = nextMagic(in: data, after: offset) ?? data.count
            }
        }
        closeDamage(at: data.count, atEnd: true)
        return ScanResult(frames: frames, damage: damage)
    }

    enum RecordCheck {
        case record(Frame, next: Int)
        case invalid(String)
    }

    static func validRecord(in data: Data, at offset: Int) -> RecordCheck {
        let available = data.count - offset
        guard available >= recordHeaderSize else { return .invalid("a record header cut short") }
        guard Array(data[data.startIndex + offset ..< data.startIndex + offset + 4]) == recordMagic else {
            return .invalid("bytes that are not a record")
        }
        let headerCRC: UInt32 = data.readLittleEndian(at: offset + 24)
        let computedHeaderCRC = data.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[offset ..< offset + 24])) }
        guard headerCRC == computedHeaderCRC else { return .invalid("a record header with a bad checksum") }
        let payloadLength = Int(data.readLittleEndian(at: offset + 4) as UInt32)
        let rawLength = Int(data.readLittleEndian(at: offset + 8) as UInt32)
        let payloadCRC: UInt32 = data.readLittleEndian(at: offset + 12)
        let time = Int64(bitPattern: data.readLittleEndian(at: offset + 16) as UInt64)
        guard rawLength <= maximumRawLength else { return .invalid("a record claiming \(rawLength) bytes") }
        let start = offset + recordHeaderSize
        guard payloadLength <= data.count - start else { return .invalid("a record cut short") }
        let computed = data.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[start ..< start + payloadLength])) }
        guard computed == payloadCRC else { return .invalid("a record whose payload checksum does not match") }
        let payload = data.subdata(in: data.startIndex + start ..< data.startIndex + start + payloadLength)
        return .record(Frame(offset: offset, timeNanoseconds: time, rawLength: rawLength, payload: payload), next: start + payloadLength)
    }

    static func nextMagic(in data: Data, after offset: Int) -> Int? {
        data.withUnsafeBytes { bytes -> Int? in
            var index = offset + 1
            while index + 4 <= bytes.count {
                if bytes[index] == recordMagic[0], bytes[index + 1] == recordMagic[1], bytes[index + 2] == recordMagic[2],
                    bytes[index + 3] == recordMagic[3]
                {
                    return index
                }
                index += 1
            }
            return nil
        }
    }
}

extension Data {
    mutating func appendLittleEndian<Value: FixedWidthInteger>(_ value: Value) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    func readLittleEndian<Value: FixedWidthInteger>(at offset: Int) -> Value {
        var value = Value.zero
        for index in (0..<MemoryLayout<Value>.size).reversed() {
            value = (value << 8) | Value(self[startIndex + offset + index])
        }
        return value
    }
}
