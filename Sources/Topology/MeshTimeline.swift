public import MonitorModel

/// The state carried from poll to poll: the previous model (for rates, reconnects and restarts), its
/// problems, and the event log. Pure: live polling, `--once`, headless recording and replay all drive
/// the same value with the same snapshots, so a replay shows exactly what was seen live.
public struct MeshTimeline: Sendable {
    public let thresholds: DiagnosisThresholds
    /// Oldest events are dropped past this many, so a week-long run stays bounded.
    public let eventLimit: Int
    public private(set) var previous: Supercluster?
    public private(set) var previousProblems: [Problem] = []
    /// Oldest first.
    public private(set) var events: [MeshEvent] = []
    /// Events dropped to respect `eventLimit`.
    public private(set) var droppedEvents = 0
    /// The last answer of each endpoint URL, kept through outages: a server that comes back after
    /// being unreachable is compared with what answered before, to tell a restart from a network blip.
    private var lastAnswer: [String: MeshEventDetector.EndpointAnswer] = [:]

    public struct Step: Sendable {
        public var model: Supercluster
        public var problems: [Problem]
        /// What this poll changed.
        public var events: [MeshEvent]
    }

    public init(thresholds: DiagnosisThresholds = DiagnosisThresholds(), eventLimit: Int = 10_000) {
        self.thresholds = thresholds
        self.eventLimit = max(1, eventLimit)
    }

    public mutating func advance(_ snapshot: PollSnapshot) -> Step {
        let model = SuperclusterBuilder.build(poll: snapshot, previous: previous)
        let problems = MeshDiagnosis.diagnose(model, previous: previous, thresholds: thresholds)
        var new = previous.map { MeshEventDetector.events(from: $0, previousProblems, to: model, problems) }
            ?? MeshEventDetector.firstPollEvents(model, problems)
        new += MeshEventDetector.restartsAfterOutages(model, events: new, lastAnswers: lastAnswer)
        for server in model.servers where server.reachable {
            if let url = server.url { lastAnswer[url] = .init(id: server.id, uptime: server.uptime, time: model.time) }
        }
        previous = model
        previousProblems = problems
        events += new
        if events.count > eventLimit {
            let excess = events.count - eventLimit
            events.removeFirst(excess)
            droppedEvents += excess
        }
        return Step(model: model, problems: problems, events: new)
    }
}
