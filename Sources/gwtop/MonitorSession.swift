import Foundation
import MonitorModel
import Poller
import Recording
import Topology

/// Runs live poll cycles through the timeline, and records each one when asked to.
actor MonitorSession {
    private let poller: Poller
    private var timeline: MeshTimeline
    private let recorder: RecordingWriter?
    private var sequence = 0
    /// The last recording failure (a full disk): polling goes on, and the status says so.
    private(set) var recordingError: String?

    struct Result: Sendable {
        let model: Supercluster
        let problems: [Problem]
        /// Events of this poll.
        let events: [MeshEvent]
        let cycle: PollCycle
        /// Seconds the cycle took, start to finish.
        let duration: Double
        /// Bytes this poll added to the recording (0 when not recording or on failure).
        let recordedBytes: Int
        let recordingError: String?
    }

    init(poller: Poller, thresholds: DiagnosisThresholds, recorder: RecordingWriter? = nil) {
        self.poller = poller
        self.timeline = MeshTimeline(thresholds: thresholds)
        self.recorder = recorder
    }

    /// Every event so far, oldest first.
    var events: [MeshEvent] { timeline.events }

    func pollOnce() async -> Result {
        sequence += 1
        let started = ContinuousClock.now
        var cycle = await poller.poll(sequence: sequence)
        let elapsed = ContinuousClock.now - started
        var recordedBytes = 0
        if let recorder {
            do {
                recordedBytes = try recorder.append(RecordedPoll(
                    sequence: cycle.snapshot.sequence, startedAt: cycle.snapshot.startedAt, finishedAt: cycle.snapshot.finishedAt,
                    endpoints: cycle.raw))
                recordingError = nil
            } catch {
                recordingError = "\(error)"
            }
        }
        // The raw bodies (27 MB a poll at 250 servers) are only for the recording: let them go now.
        cycle.raw = []
        let step = timeline.advance(cycle.snapshot)
        return Result(
            model: step.model, problems: step.problems, events: step.events, cycle: cycle,
            duration: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            recordedBytes: recordedBytes, recordingError: recordingError)
    }
}
