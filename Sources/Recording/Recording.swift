public import Foundation
public import MonitorModel

/// A recording opened for replay: an index of its records (time and compressed payload), decoded one
/// at a time on demand so an hour of polls does not have to sit in memory inflated.
public struct Recording: Sendable {
    public let path: String
    public let frames: [RecordingFormat.Frame]
    /// What was wrong with the file, in words for the operator (empty for a clean file).
    public let warnings: [String]

    public struct OpenError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw OpenError(description: "cannot read recording \(path): \((error as NSError).localizedDescription)")
        }
        try self.init(path: path, data: data)
    }

    public init(path: String, data: Data) throws {
        self.path = path
        let scan: RecordingFormat.ScanResult
        do {
            scan = try RecordingFormat.scan(data)
        } catch {
            throw OpenError(description: "\(path) is not a gwtop recording: \(error)")
        }
        var frames = scan.frames
        var warnings = scan.damage.map { damage in
            damage.atEnd
                ? "\(path): the last \(damage.length) bytes (from offset \(damage.offset)) are an incomplete record "
                    + "(\(damage.reason); the recorder was probably stopped mid-write); replaying up to the last complete record"
                : "\(path): skipped \(damage.length) damaged bytes at offset \(damage.offset) (\(damage.reason)); "
                    + "the records after them replay"
        }
        // A payload that passed its CRC but does not inflate is damage too: drop it now so every index
        // the player steps to inflates.
        var kept: [RecordingFormat.Frame] = []
        for frame in frames {
            do {
                _ = try frame.inflate()
                kept.append(frame)
            } catch {
                warnings.append("\(path): record at offset \(frame.offset) is unreadable (\(error)); skipped")
            }
        }
        frames = kept
        if frames.isEmpty { throw OpenError(description: "\(path) holds no complete record" + (warnings.isEmpty ? "" : ": " + warnings.joined(separator: "; "))) }
        self.frames = frames
        self.warnings = warnings
    }

    public var count: Int { frames.count }

    public func poll(at index: Int) throws -> RecordedPoll {
        try RecordedPoll(payload: try frames[index].inflate())
    }

    public func time(at index: Int) -> MonitorTime { MonitorTime(nanosecondsSince1970: frames[index].timeNanoseconds) }

    public var startTime: MonitorTime { time(at: 0) }
    public var endTime: MonitorTime { time(at: count - 1) }

    /// The last record taken at or before `time` (the first one if `time` is earlier than all),
    /// compared at the millisecond precision gwtop prints times with, so a time copied from an event
    /// selects the record the event came from.
    public func index(atOrBefore time: MonitorTime) -> Int {
        let target = time.nanosecondsSince1970 + 999_999
        var low = 0
        var high = frames.count - 1
        var found = 0
        while low <= high {
            let middle = (low + high) / 2
            if frames[middle].timeNanoseconds <= target {
                found = middle
                low = middle + 1
            } else {
                high = middle - 1
            }
        }
        return found
    }
}
