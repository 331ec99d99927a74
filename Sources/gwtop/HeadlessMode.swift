import Foundation
import Logging
import MonitorModel
import Topology

/// `--headless`: polls (and records) with no screen, for a recorder left on a bastion host waiting for
/// an intermittent incident. One status line per poll on stderr; ends on SIGINT, SIGTERM, SIGHUP or
/// after `duration`.
struct HeadlessMode {
    let session: MonitorSession
    let interval: Double
    let duration: Double?
    let recordingPath: String?
    let logger: Logger

    func run() async -> Int32 {
        let stop = StopSignal()
        // Checked between polls, never used to cancel one: a poll in flight when the signal comes must
        // finish and be recorded whole, not be cut into a false outage.
        let stopping = StopFlag()
        let began = ContinuousClock.now
        let deadline = duration.map { began + .milliseconds(Int($0 * 1000)) }
        let pollLoop = Task {
            var totalBytes = 0
            while !stopping.isSet {
                let started = ContinuousClock.now
                let result = await session.pollOnce()
                totalBytes += result.recordedBytes
                Self.writeToStandardError(Self.statusLine(result, totalRecordedBytes: totalBytes, recording: recordingPath != nil) + "\n")
                var next = started + .milliseconds(Int(interval * 1000))
                if let deadline, next > deadline { next = deadline }
                while !stopping.isSet, ContinuousClock.now < next, !session.earlyPollWanted() {
                    try? await Task.sleep(for: min(.milliseconds(50), next - ContinuousClock.now))
                }
                if let deadline, ContinuousClock.now >= deadline {
                    stop.stopNow()
                    return
                }
            }
        }
        let signal = await stop.wait()
        stopping.set()
        _ = await pollLoop.value
        logger.info("stopping", metadata: ["signal": "\(signal)"])
        return 0
    }

    /// `2026-11-26T20:41:07.512Z poll 12  5/5 endpoints  0 critical 1 warning 0 info  +2 events  recorded 3.1 KB (41 KB)`
    static func statusLine(_ result: MonitorSession.Result, totalRecordedBytes: Int, recording: Bool) -> String {
        let summary = MeshSummary(result.model, problems: result.problems)
        var line = "\(result.model.time.rfc3339) poll \(result.model.pollSequence)  "
            + "\(summary.serversReachable)/\(summary.serversPolled) endpoints up  "
            + "\(summary.outboundUp)/\(summary.outboundExpected) links  "
            + "\(summary.critical) critical \(summary.warning) warning \(summary.info) info  "
            + "+\(result.events.count) event\(result.events.count == 1 ? "" : "s")  cycle \(Units.duration(result.duration))"
        if let connection = result.systemAccountConnection {
            line += "  " + connection.sourceConnection.text
        }
        if recording {
            if let error = result.recordingError {
                line += "  RECORDING FAILED: \(error)"
            } else {
                line += "  recorded \(Units.bytes(Double(result.recordedBytes))) (total \(Units.bytes(Double(totalRecordedBytes))))"
            }
        }
        return line
    }

    /// Status lines go to stderr with write(2), like the live text mode's frames to stdout.
    static func writeToStandardError(_ text: String) { _ = LiveTextMode.writeAll(text, to: STDERR_FILENO) }
}

/// A flag one task sets and another reads.
final class StopFlag: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
