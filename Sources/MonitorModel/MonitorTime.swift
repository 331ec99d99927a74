import Foundation

/// An instant as the server reported it (RFC 3339 with up to nanosecond precision, any UTC offset).
///
/// Rates are computed from differences of the server's own `now` stamps, so sub-millisecond precision
/// matters and a parse must not go through a lossy formatter.
public struct MonitorTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    public let seconds: Int64
    /// 0 ..< 1_000_000_000.
    public let nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public init(timeIntervalSince1970 interval: Double) {
        let whole = interval.rounded(.down)
        self.seconds = Int64(whole)
        self.nanoseconds = Int32(((interval - whole) * 1e9).rounded(.down).clamped(to: 0...999_999_999))
    }

    public var timeIntervalSince1970: Double { Double(seconds) + Double(nanoseconds) / 1e9 }

    /// Exact, for recordings and time arithmetic (a Double loses the nanoseconds).
    public var nanosecondsSince1970: Int64 { seconds &* 1_000_000_000 &+ Int64(nanoseconds) }

    public init(nanosecondsSince1970 value: Int64) {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: 1_000_000_000)
        self = remainder >= 0
            ? MonitorTime(seconds: quotient, nanoseconds: Int32(remainder))
            : MonitorTime(seconds: quotient - 1, nanoseconds: Int32(remainder + 1_000_000_000))
    }

    /// The local clock.
    public static var now: MonitorTime { MonitorTime(timeIntervalSince1970: Date().timeIntervalSince1970) }

    /// Go's zero `time.Time` (year 1) marks "never" in several monitoring fields.
    public var isGoZeroTime: Bool { seconds <= -62_135_596_800 }

    public func seconds(since earlier: MonitorTime) -> Double {
        Double(seconds - earlier.seconds) + Double(nanoseconds - earlier.nanoseconds) / 1e9
    }

    public static func < (lhs: MonitorTime, rhs: MonitorTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let text: String
        public var description: String { "invalid RFC 3339 time \"\(text)\"" }
    }

    /// Parses `2026-11-26T17:46:46.123456789Z` or `...+01:00`.
    public init(rfc3339 text: String) throws {
        var copy = text
        let parsed = copy.withUTF8 { Self.parse(UnsafeRawBufferPointer($0)) }
        guard let parsed else { throw ParseError(text: text) }
        self = parsed
    }

    /// The parser itself, on bytes, so decoders can call it without making a String first.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> MonitorTime? {
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for _ in 0..<digits {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value &* 10 &+ Int(byte &- 48)  // at most four digits: no overflow to check
                index += 1
            }
            return value
        }
        func expect(_ a: UInt8, _ b: UInt8 = 0, _ c: UInt8 = 0) -> Bool {
            guard index < bytes.count else { return false }
            let byte = bytes[index]
            guard byte == a || (b != 0 && byte == b) || (c != 0 && byte == c) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
            expect(84, 116, 32),  // T, t or space
            let hour = number(2), expect(58), let minute = number(2), expect(58), let second = number(2)
        else { return nil }
        var nanos = 0
        if index < bytes.count, bytes[index] == 46 {  // '.'
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case 90, 122:  // Z z
            index += 1
        case 43, 45:  // + -
            let negative = bytes[index] == 45
            index += 1
            guard let offsetHours = number(2), expect(58), let offsetMinutes = number(2) else { return nil }
            offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (negative ? -1 : 1)
        default:
            return nil
        }
        guard index == bytes.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let local = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second)
        return MonitorTime(seconds: local - Int64(offsetSeconds), nanoseconds: Int32(nanos))
    }

    /// Howard Hinnant's days_from_civil: proleptic Gregorian calendar, no Foundation needed.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// RFC 3339 in UTC with millisecond precision, the form gwtop prints.
    public var rfc3339: String { rfc3339(fractionDigits: 3) }

    /// RFC 3339 in UTC with nanoseconds, as Go prints a `time.Time` (and nats-server its `now`).
    public var rfc3339Nanoseconds: String { rfc3339(fractionDigits: 9) }

    func rfc3339(fractionDigits: Int) -> String {
        let days = Int((seconds >= 0 ? seconds : seconds - 86399) / 86400)
        let secondOfDay = Int(seconds - Int64(days) * 86400)
        let (year, month, day) = Self.civilFromDays(days)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var divisor = 1
        for _ in fractionDigits..<9 { divisor *= 10 }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(Int(nanoseconds) / divisor, fractionDigits))Z"
    }

    public var description: String { rfc3339 }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}

extension Duration {
    /// The duration in seconds, for timings reported as plain numbers.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
