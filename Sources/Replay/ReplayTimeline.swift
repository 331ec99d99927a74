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

    /// Feeds one record to `timeline` (for a player that goes on from where it is).
    public func advance(_ timeline: inout MeshTimeline, index: Int) throws -> Frame {
        let poll = try recording.poll(at: index)
        let step = timeline.advance(poll.snapshot)
        return Frame(index: index, step: step, duration: poll.finishedAt.seconds(since: poll.startedAt))
    }

    /// Runs records `range` through a fresh timeline, handing each frame to `body` (nil: keep them all
    /// in the outcome). Starting a few polls before the index of interest is enough for rates and
    /// reconnects; events before `range` are not in the outcome.
    public func run(_ range: ClosedRange<Int>, keepFrames: Bool = true, eventLimit: Int = 1_000_000) -> Outcome {
        var timeline = MeshTimeline(thresholds: thresholds, eventLimit: eventLimit)
        return run(range, keepFrames: keepFrames, continuing: &timeline)
    }

    /// As `run`, leaving `timeline` where the last record put it.
    public func run(_ range: ClosedRange<Int>, keepFrames: Bool = true, continuing timeline: inout MeshTimeline) -> Outcome {
        var frames: [Frame] = []
        var warnings: [String] = []
        for index in range where recording.frames.indices.contains(index) {
            let poll: RecordedPoll
            do {
                poll = try recording.poll(at: index)
            } catch {
                warnings.append("\(recording.path): record \(index + 1) (offset \(recording.frames[index].offset)) is unreadable: \(error); skipped")
                continue
            }
            let step = timeline.advance(poll.snapshot)
            if keepFrames || index == range.upperBound {
                frames.append(Frame(index: index, step: step, duration: poll.finishedAt.seconds(since: poll.startedAt)))
            }
        }
        return Outcome(frames: frames, events: timeline.events, warnings: warnings)
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
            let base = sign == "+" ? start : end
            return MonitorTime(timeIntervalSince1970: base.timeIntervalSince1970 + (sign == "+" ? seconds : -seconds))
        }
        do {
            return try MonitorTime(rfc3339: trimmed)
        } catch {
            throw ParseError(description: "time \"\(text)\" is neither RFC 3339 (2026-11-26T20:15:00Z) nor an offset (+90s, -5m)")
        }
    }
}
