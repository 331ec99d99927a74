import Foundation
import MonitorModel
import NatsClient
import Poller
import Recording
import SystemAccountSource
import Topology

/// Runs live poll cycles through the timeline, and records each one when asked to.
actor MonitorSession {
    private let poller: Poller
    /// Servers seen through one NATS connection in the system account, beside (or instead of) HTTP endpoints.
    private let systemAccount: SystemAccountPoller?
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
        /// The system-account connection after this poll; nil without `--nats`.
        let systemAccountConnection: NatsClient.Status?
    }

    init(poller: Poller, systemAccount: SystemAccountPoller? = nil, thresholds: DiagnosisThresholds, recorder: RecordingWriter? = nil) {
        self.poller = poller
        self.systemAccount = systemAccount
        self.timeline = MeshTimeline(thresholds: thresholds)
        self.recorder = recorder
    }

    /// Every event so far, oldest first.
    var events: [MeshEvent] { timeline.events }

    func pollOnce() async -> Result { await advance(await fetch()) }

    /// A poll fetched (and recorded) but not yet modelled.
    struct FetchedCycle: Sendable {
        let cycle: PollCycle
        let duration: Double
        let recordedBytes: Int
    }

    /// The first half of a poll: fetch every source and record the answers. Separate from `advance` so
    /// `--once` can model one poll while the next one is on the wire.
    func fetch() async -> FetchedCycle {
        sequence += 1
        let started = ContinuousClock.now
        var cycle = await pollAllSources()
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
        return FetchedCycle(cycle: cycle, duration: elapsed.inSeconds, recordedBytes: recordedBytes)
    }

    /// The second half: model, diagnosis and events. Polls must be advanced in the order they were fetched.
    func advance(_ fetched: FetchedCycle) async -> Result {
        let step = timeline.advance(fetched.cycle.snapshot)
        return Result(
            model: step.model, problems: step.problems, events: step.events, cycle: fetched.cycle,
            duration: fetched.duration,
            recordedBytes: fetched.recordedBytes, recordingError: recordingError,
            systemAccountConnection: await systemAccount?.connectionStatus())
    }

    /// True once when a server has announced a gateway change since the last call: poll now.
    nonisolated func earlyPollWanted() -> Bool { systemAccount?.takeEarlyPollRequest() ?? false }

    /// HTTP endpoints and the system account at the same time, as one cycle. A server listed as an HTTP
    /// endpoint that answers there is shown once, from its HTTP endpoint.
    private func pollAllSources() async -> PollCycle {
        guard let systemAccount else { return await poller.poll(sequence: sequence) }
        async let viaHTTP = poller.poll(sequence: sequence)
        async let viaSystemAccount = systemAccount.poll()
        var cycle = await viaHTTP
        let discovered = await viaSystemAccount
        let namesOverHTTP = Set(cycle.snapshot.observations.compactMap { $0.snapshot?.varz.serverName })
        let kept = discovered.filter { !namesOverHTTP.contains($0.endpoint.name ?? "") }
        // Decoded side by side, as the HTTP poller decodes each endpoint in its own task.
        let observations = await withTaskGroup(of: (Int, EndpointObservation).self) { group in
            for (index, poll) in kept.enumerated() { group.addTask { (index, poll.observation) } }
            var decoded = [EndpointObservation?](repeating: nil, count: kept.count)
            for await (index, observation) in group { decoded[index] = observation }
            return decoded.compactMap { $0 }
        }
        cycle.snapshot.observations += observations
        if poller.keepsRawResponses { cycle.raw += kept }
        cycle.snapshot.finishedAt = MonitorTime.now
        return cycle
    }
}
