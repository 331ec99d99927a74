import Foundation
public import MonitorModel
public import Recording
public import Topology

/// Replays a recording through the same `MeshTimeline` the live poller uses, so models, rates,
/// problems and events are what was seen when it was recorded.
public struct ReplayTimeline: Sendable {
    public let recording: Recording
    public let thresholds: DiagnosisThresholds

    public init(recording: Recording, thresholds: DiagnosisThresholds = DiagnosisThresholds()) {
        self.recording = recording
        self.thresholds = thresholds
    }

    /// A poll as replay shows it, with where it sits in the recording.
    public struct Frame: Sendable {
        public var index: Int
        public var step: MeshTimeline.Step
        /// The recorded cycle's length, for the status line.
        public var duration: Double
    }

    /// Records that passed their checksums but do not decode: reported, then skipped.
    public struct Outcome: Sendable {
        public var frames: [Frame]
        public var events: [MeshEvent]
        public var warnings: [String]
    }

    /// Full polls (everything asked; see `CarriedDocuments`) are never further apart than this in a
    /// recording gwtop makes, so a replay that starts in the middle finds one within this many records.
    public static let longestFullPollSpacing = 60

    /// Where a player stands: the timeline, and what the last full poll of each endpoint said (the
    /// polls between full ones take it from there, as they did live).
    public struct Cursor: Sendable {
        public var timeline: MeshTimeline
        public var carried = CarriedDocuments(serverIDs: ServerIDInterner())

        public init(timeline: MeshTimeline) { self.timeline = timeline }
    }

    /// Feeds one record to the cursor (for a player that goes on from where it is).
    public func advance(_ cursor: inout Cursor, index: Int) throws -> Frame {
        let poll = try recording.poll(at: index)
        let step = cursor.timeline.advance(poll.snapshot(carrying: &cursor.carried))
        return Frame(index: index, step: step, duration: poll.finishedAt.seconds(since: poll.startedAt))
    }

    /// Runs records `range` through a fresh timeline, handing each frame to `body` (nil: keep them all
    /// in the outcome). Starting a few polls before the index of interest is enough for rates and
    /// reconnects; events before `range` are not in the outcome.
    public func run(_ range: ClosedRange<Int>, keepFrames: Bool = true, eventLimit: Int = 1_000_000) -> Outcome {
        var cursor = Cursor(timeline: MeshTimeline(thresholds: thresholds, eventLimit: eventLimit))
        return run(range, keepFrames: keepFrames, continuing: &cursor)
    }

    /// As `run`, leaving `cursor` where the last record put it. A fresh cursor that starts in the middle
    /// first reads the records from the last full poll before `range`, for their carried documents only.
    public func run(_ range: ClosedRange<Int>, keepFrames: Bool = true, continuing cursor: inout Cursor) -> Outcome {
        var frames: [Frame] = []
        var warnings: [String] = []
        if cursor.carried.entries.isEmpty, range.lowerBound > 0 {
            for index in fullPollIndex(atOrBefore: range.lowerBound)..<range.lowerBound {
                guard let poll = try? recording.poll(at: index) else { continue }
                _ = poll.snapshot(carrying: &cursor.carried)
            }
        }
        for index in range where recording.frames.indices.contains(index) {
            let poll: RecordedPoll
            do {
                poll = try recording.poll(at: index)
            } catch {
                warnings.append("\(recording.path): record \(index + 1) (offset \(recording.frames[index].offset)) is unreadable: \(error); skipped")
                continue
            }
            let step = cursor.timeline.advance(poll.snapshot(carrying: &cursor.carried))
            let frame = Frame(index: index, step: step, duration: poll.finishedAt.seconds(since: poll.startedAt))
            if keepFrames {
                frames.append(frame)
            } else {
                // Only the last one that decoded is wanted: an unreadable last record leaves the one before.
                frames = [frame]
            }
        }
        return Outcome(frames: frames, events: cursor.timeline.events, warnings: warnings)
    }

    /// The last record at or before `index` that asked every endpoint for everything, looking back at
    /// most `longestFullPollSpacing` records (0 if none is found: the start of the recording). The records
    /// looked at are read again by the caller rather than kept: at 250 servers each is tens of megabytes.
    func fullPollIndex(atOrBefore index: Int) -> Int {
        var candidate = min(index, recording.count - 1)
        while candidate > 0, index - candidate < Self.longestFullPollSpacing {
            if let poll = try? recording.poll(at: candidate), poll.isFull { return candidate }
            candidate -= 1
        }
        return max(0, candidate)
    }

    /// The state as of `time`: every record up to it, the last one shown, every event so far.
    public func state(at time: MonitorTime) -> (frame: Frame?, events: [MeshEvent], warnings: [String]) {
        let last = recording.index(atOrBefore: time)
        let outcome = run(0...last, keepFrames: false)
        return (outcome.frames.last, outcome.events, outcome.warnings)
    }
}

/// A time given on the command line: RFC 3339, `+90s` (after the recording's start) or `-5m` (before
/// its end).
public enum ReplayTimeSpec {
    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func resolve(_ text: String, start: MonitorTime, end: MonitorTime) throws -> MonitorTime {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let sign = trimmed.first, sign == "+" || sign == "-" {
            let seconds: Double
            do {
                seconds = try NatsDuration.seconds(parsing: String(trimmed.dropFirst()))
            } catch {
                throw ParseError(description: "time \"\(text)\" is not an offset such as +90s, +1m30s or -5m")
            }
            // In whole nanoseconds, so +0s is the first record exactly; a century is more than any recording.
            guard seconds.isFinite, seconds >= 0, seconds <= 100 * 365 * 86400 else {
                throw ParseError(description: "time \"\(text)\" is too far from the recording")
            }
            let offset = Int64((seconds * 1e9).rounded())
            let base = sign == "+" ? start : end
            return MonitorTime(nanosecondsSince1970: base.nanosecondsSince1970 + (sign == "+" ? offset : -offset))
        }
        do {
            return try MonitorTime(rfc3339: trimmed)
        } catch {
            throw ParseError(description: "time \"\(text)\" is neither RFC 3339 (2026-11-26T20:15:00Z) nor an offset (+90s, -5m)")
        }
    }

    /// Whether `time` falls in the recording, at the millisecond precision gwtop prints times with (so
    /// the start time as printed is inside, though a few microseconds early).
    public static func isWithin(_ time: MonitorTime, start: MonitorTime, end: MonitorTime) -> Bool {
        time.nanosecondsSince1970 / 1_000_000 >= start.nanosecondsSince1970 / 1_000_000 && time <= end
    }
}
