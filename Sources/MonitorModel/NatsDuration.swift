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
        var scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { throw ParseError(text: text, reason: "empty") }
        var sign = 1.0
        if scalars.first == "-" || scalars.first == "+" {
            if scalars.first == "-" { sign = -1 }
            scalars.removeFirst()
        }
        // Go prints a bare "0" for a zero duration in some paths.
        if scalars.count == 1, scalars[0] == "0" { return 0 }
        guard !scalars.isEmpty else { throw ParseError(text: text, reason: "no number") }

        var total = 0.0
        var index = 0
        while index < scalars.count {
            var integerPart = 0.0
            var fraction = 0.0
            var fractionScale = 1.0
            var sawDigit = false
            while index < scalars.count, let digit = scalars[index].asciiDigit {
                integerPart = integerPart * 10 + Double(digit)
                sawDigit = true
                index += 1
            }
            if index < scalars.count, scalars[index] == "." {
                index += 1
                while index < scalars.count, let digit = scalars[index].asciiDigit {
                    fractionScale /= 10
                    fraction += Double(digit) * fractionScale
                    sawDigit = true
                    index += 1
                }
            }
            guard sawDigit else {
                throw ParseError(text: text, reason: "expected a number at position \(index)")
            }
            let unitStart = index
            while index < scalars.count, scalars[index].asciiDigit == nil, scalars[index] != "." {
                index += 1
            }
            let unit = String(String.UnicodeScalarView(scalars[unitStart..<index]))
            guard let unitSeconds = unitInSeconds[unit] else {
                if unit.isEmpty { throw ParseError(text: text, reason: "missing unit") }
                throw ParseError(text: text, reason: "unknown unit \"\(unit)\"")
            }
            total += (integerPart + fraction) * unitSeconds
        }
        return sign * total
    }

    /// The common forms (`1.5ms`, `350µs`, `1h2m3s`) straight from bytes, with exactly the arithmetic
    /// of `seconds(parsing:)` so both give the same Double; nil for anything else (the caller then uses
    /// `seconds(parsing:)`, which also words the error).
    static func fastSeconds(_ bytes: UnsafeRawBufferPointer) -> Double? {
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

    private static let unitInSeconds: [String: Double] = [
        "ns": 1e-9,
        "us": 1e-6, "\u{00B5}s": 1e-6, "\u{03BC}s": 1e-6,
        "ms": 1e-3,
        "s": 1, "m": 60, "h": 3600, "d": 86400, "y": 365 * 86400,
    ]
}

extension Unicode.Scalar {
    var asciiDigit: Int? {
        value >= 48 && value <= 57 ? Int(value - 48) : nil
    }
}
