@testable import MonitorModel
import Testing

@Suite struct NatsDurationTests {
    static let uptimeCases: [(String, Double)] = [
        ("0s", 0), ("5s", 5), ("3m5s", 185), ("1h0m0s", 3600), ("2d3h4m5s", 183_845), ("1y2d3h4m5s", 31_719_845),
    ]
    static let goCases: [(String, Double)] = [
        ("850\u{00B5}s", 0.000850), ("850\u{03BC}s", 0.000850), ("850us", 0.000850), ("1.2ms", 0.0012),
        ("250ns", 0.00000025), ("1h2m3.5s", 3723.5), ("0", 0), ("-1.5s", -1.5), ("12.345678ms", 0.012345678),
    ]

    @Test(arguments: uptimeCases)
    func natsUptimeForm(text: String, seconds: Double) throws {
        #expect(try NatsDuration.seconds(parsing: text) == seconds)
    }

    @Test(arguments: goCases)
    func goDurationForm(text: String, seconds: Double) throws {
        let parsed = try NatsDuration.seconds(parsing: text)
        #expect(abs(parsed - seconds) < 1e-12)
    }

    @Test(arguments: ["", "abc", "5", "5x", "1.2.3s", "ms", "-", "5s3"])
    func rejectsMalformed(text: String) {
        #expect(throws: NatsDuration.ParseError.self) { try NatsDuration.seconds(parsing: text) }
    }

    @Test func errorNamesTheText() {
        do {
            _ = try NatsDuration.seconds(parsing: "5 parsecs")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("5 parsecs"))
        }
    }
}

@Suite struct MonitorTimeTests {
    @Test func parsesNanosecondsAndZulu() throws {
        let time = try MonitorTime(rfc3339: "2026-11-26T17:46:46.123456789Z")
        #expect(time.seconds == 1_795_715_206)
        #expect(time.nanoseconds == 123_456_789)
        #expect(time.rfc3339 == "2026-11-26T17:46:46.123Z")
    }

    @Test func appliesOffsets() throws {
        let utc = try MonitorTime(rfc3339: "2026-01-01T00:00:00Z")
        let plusOne = try MonitorTime(rfc3339: "2026-01-01T01:00:00+01:00")
        let minusHalf = try MonitorTime(rfc3339: "2025-12-31T23:30:00.5-00:30")
        #expect(utc == plusOne)
        #expect(minusHalf.seconds == utc.seconds && minusHalf.nanoseconds == 500_000_000)
    }

    @Test func differencesKeepSubMillisecondPrecision() throws {
        let a = try MonitorTime(rfc3339: "2026-01-01T00:00:00.999999Z")
        let b = try MonitorTime(rfc3339: "2026-01-01T00:00:01.000001Z")
        #expect(abs(b.seconds(since: a) - 0.000002) < 1e-9)
    }

    @Test func goZeroTimeIsRecognised() throws {
        #expect(try MonitorTime(rfc3339: "0001-01-01T00:00:00Z").isGoZeroTime)
    }

    @Test(arguments: ["", "2026-11-26", "2026-13-01T00:00:00Z", "2026-11-26T17:46:46", "2026-11-26T17:46:46.Z", "garbage"])
    func rejectsMalformed(text: String) {
        #expect(throws: MonitorTime.ParseError.self) { try MonitorTime(rfc3339: text) }
    }
}

@Suite struct DurationErrorTests {
    /// Parsing is byte-level; the words of an error come from a separate scan that must still say
    /// what is wrong.
    @Test(arguments: [
        ("", "empty"), ("-", "no number"), ("ms", "expected a number at position 0"), ("1", "missing unit"),
        ("1x", "unknown unit \"x\""), ("1sm", "unknown unit \"sm\""), ("1.5ms2", "missing unit"), ("1 s", "unknown unit \" s\""),
    ])
    func errorsSayWhatIsWrong(text: String, reason: String) {
        var copy = text
        #expect(copy.withUTF8 { NatsDuration.parse(UnsafeRawBufferPointer($0)) } == nil)
        #expect(throws: NatsDuration.ParseError(text: text, reason: reason)) { try NatsDuration.seconds(parsing: text) }
    }
}
