/// Durations as NATS monitoring endpoints print them.
///
/// Two formats reach us: the server's own "myUptime" form (`1y2d3h4m5s`, used for `uptime` and `idle`)
/// and Go's `time.Duration.String()` (`1.2ms`, `850µs`, `1h2m3.5s`, `0s`, used for `rtt`). One parser
/// accepts the union of both so that a field that switched format between server versions still decodes.
public enum NatsDuration {
    public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
        public let text: String
        public let reason: String
        public var description: String { "invalid duration \"\(text)\": \(reason)" }
    }

    /// Seconds represented by `text`.
    public static func seconds(parsing text: String) throws -> Double {
        var copy = text
        if let seconds = copy.withUTF8({ parse(UnsafeRawBufferPointer($0)) }) { return seconds }
        throw diagnose(text)
    }

    /// Why `text` is not a duration, in words (only called once parsing has failed).
    static func diagnose(_ text: String) -> ParseError {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "-" || scalars.first == "+" { scalars.removeFirst() }
        guard !text.isEmpty else { return ParseError(text: text, reason: "empty") }
        guard !scalars.isEmpty else { return ParseError(text: text, reason: "no number") }
        var index = 0
        while index < scalars.count {
            let numberStart = index
            while index < scalars.count, scalars[index].asciiDigit != nil || scalars[index] == "." { index += 1 }
            guard scalars[numberStart..<index].contains(where: { $0.asciiDigit != nil }) else {
                return ParseError(text: text, reason: "expected a number at position \(numberStart)")
            }
            let unitStart = index
            while index < scalars.count, scalars[index].asciiDigit == nil, scalars[index] != "." { index += 1 }
            let unit = String(String.UnicodeScalarView(scalars[unitStart..<index]))
            if unit.isEmpty { return ParseError(text: text, reason: "missing unit") }
            if !knownUnits.contains(unit) { return ParseError(text: text, reason: "unknown unit \"\(unit)\"") }
        }
        return ParseError(text: text, reason: "not a duration")
    }

    private static let knownUnits: Set<String> = ["ns", "us", "\u{00B5}s", "\u{03BC}s", "ms", "s", "m", "h", "d", "y"]

    /// Parses UTF-8 bytes (so decoders need not make a String first); nil when they are not a duration.
    /// Every digit is accumulated in the same order whatever the caller, so a value is the same Double
    /// from every path.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Double? {
        var index = 0
        var sign = 1.0
        guard !bytes.isEmpty else { return nil }
        if bytes[0] == 45 || bytes[0] == 43 {
            if bytes[0] == 45 { sign = -1 }
            index = 1
        }
        if bytes.count - index == 1, bytes[index] == 48 { return 0 }
        guard index < bytes.count else { return nil }
        var total = 0.0
        while index < bytes.count {
            var integerPart = 0.0
            var fraction = 0.0
            var fractionScale = 1.0
            var sawDigit = false
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                integerPart = integerPart * 10 + Double(bytes[index] - 48)
                sawDigit = true
                index += 1
            }
            if index < bytes.count, bytes[index] == 46 {
                index += 1
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                    fractionScale /= 10
                    fraction += Double(bytes[index] - 48) * fractionScale
                    sawDigit = true
                    index += 1
                }
            }
            guard sawDigit, index < bytes.count else { return nil }
            let unitSeconds: Double
            let first = bytes[index]
            let second: UInt8 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let third: UInt8 = index + 2 < bytes.count ? bytes[index + 2] : 0
            func isUnitEnd(_ position: Int) -> Bool {
                position >= bytes.count || (bytes[position] >= 48 && bytes[position] <= 57) || bytes[position] == 46
            }
            switch (first, second) {
            case (110, 115) where isUnitEnd(index + 2): unitSeconds = 1e-9; index += 2  // ns
            case (117, 115) where isUnitEnd(index + 2): unitSeconds = 1e-6; index += 2  // us
            case (109, 115) where isUnitEnd(index + 2): unitSeconds = 1e-3; index += 2  // ms
            case (0xC2, 0xB5) where third == 115 && isUnitEnd(index + 3): unitSeconds = 1e-6; index += 3  // µs
            case (0xCE, 0xBC) where third == 115 && isUnitEnd(index + 3): unitSeconds = 1e-6; index += 3  // μs
            case (115, _) where isUnitEnd(index + 1): unitSeconds = 1; index += 1
            case (109, _) where isUnitEnd(index + 1): unitSeconds = 60; index += 1
            case (104, _) where isUnitEnd(index + 1): unitSeconds = 3600; index += 1
            case (100, _) where isUnitEnd(index + 1): unitSeconds = 86400; index += 1
            case (121, _) where isUnitEnd(index + 1): unitSeconds = 365 * 86400; index += 1
            default: return nil
            }
            total += (integerPart + fraction) * unitSeconds
        }
        return sign * total
    }

}

extension Unicode.Scalar {
    var asciiDigit: Int? {
        value >= 48 && value <= 57 ? Int(value - 48) : nil
    }
}
