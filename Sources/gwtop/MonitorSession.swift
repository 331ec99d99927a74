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
    /// What the system account's servers said at their last full answers (see `CarriedDocuments`).
    private var systemCarried = CarriedDocuments()
    /// Selected servers whose own accounts request failed, with the server id asked and the partial
    /// failure they are shown with: not asked again before the next full poll, so a login not allowed the
    /// per-server subjects, or a server slow to answer, costs one wait, not one a poll. A server that has
    /// restarted since (a new id) is asked again.
    private var accountsRequestFailed: [EndpointIdentity: (serverID: String, reason: String)] = [:]
    private var sequence = 0
    private var fullPolls: FullPollSchedule
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

    init(
        poller: Poller, systemAccount: SystemAccountPoller? = nil, thresholds: DiagnosisThresholds, recorder: RecordingWriter? = nil,
        fullPolls: FullPollSchedule = FullPollSchedule(every: 0, longestSpacing: 1)
    ) {
        self.fullPolls = fullPolls
        self.poller = poller
        self.systemAccount = systemAccount
        self.timeline = MeshTimeline(thresholds: thresholds)
        self.recorder = recorder
    }

    private static let clockOrigin = ContinuousClock.now

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
        let full = fullPolls.nextPollIsFull(at: (started - Self.clockOrigin).inSeconds)
        var cycle = await pollAllSources(full: full)
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

    /// The second half: model, diagnosis and events. Polls must be advanced in the order they were
    /// fetched, one at a time: each starts from where the previous one left the timeline. The work runs
    /// off the actor, so a fetch started meanwhile (`--once` fetches its second poll while the first is
    /// modelled) is not held up.
    func advance(_ fetched: FetchedCycle) async -> Result {
        let (advanced, step) = await Self.model(timeline, fetched.cycle.snapshot)
        timeline = advanced
        return Result(
            model: step.model, problems: step.problems, events: step.events, cycle: fetched.cycle,
            duration: fetched.duration,
            recordedBytes: fetched.recordedBytes, recordingError: recordingError,
            systemAccountConnection: await systemAccount?.connectionStatus())
    }

    @concurrent
    private nonisolated static func model(_ timeline: MeshTimeline, _ snapshot: PollSnapshot) async -> (MeshTimeline, MeshTimeline.Step) {
        var timeline = timeline
        let step = timeline.advance(snapshot)
        return (timeline, step)
    }

    /// True once when a server has announced a gateway change since the last call: poll now.
    nonisolated func earlyPollWanted() -> Bool { systemAccount?.takeEarlyPollRequest() ?? false }

    /// HTTP endpoints and the system account at the same time, as one cycle. A server listed as an HTTP
    /// endpoint that answers there is shown once, from its HTTP endpoint. The system account is asked the
    /// same documents as the HTTP endpoints: everything on a full poll (with every server's accounts only
    /// for `AccountsScope.everyServer`; the dashboard's selected server is asked its own on its own
    /// subject, at every poll), else the frequent ones; a frequent
    /// poll that finds a server the carried documents do not cover asks every server for the rest at once.
    /// (An unwell `/healthz` is not asked again between full polls here, as it is over HTTP: the request
    /// would go to every server, each running its health checks, for the sake of one.)
    private func pollAllSources(full: Bool) async -> PollCycle {
        guard let systemAccount else { return await poller.poll(sequence: sequence, full: full) }
        async let viaHTTP = poller.poll(sequence: sequence, full: full)
        let accounts = poller.accounts.systemAccountAsksAccounts
        let kinds = full ? MonitorEndpointKind.fullSet : MonitorEndpointKind.frequentSet
        async let viaSystemAccount = systemAccount.poll(kinds: accounts ? kinds : MonitorEndpointKind.withoutAccounts(kinds))
        var cycle = await viaHTTP
        let answered = await viaSystemAccount
        let namesOverHTTP = Set(cycle.snapshot.observations.compactMap { $0.snapshot?.varz.serverName })
        var kept = answered.filter { !namesOverHTTP.contains($0.endpoint.name ?? "") }
        var decoded = await Self.decode(kept, reusing: kept.map { systemCarried[$0.endpoint]?.connectionNames ?? ConnectionNames(interning: poller.serverIDs) })
        let needsMore = kept.indices.filter { index in
            !full && decoded[index].gatewayz.map {
                CarriedDocuments.needsCarriedDocuments(systemCarried[kept[index].endpoint], for: $0, accounts: accounts)
            } == true
        }
        if !needsMore.isEmpty {
            let more = Dictionary(
                await systemAccount.poll(kinds: MonitorEndpointKind.rest(accounts: accounts)).map { ($0.endpoint, $0.responses) },
                uniquingKeysWith: { first, _ in first })
            for index in needsMore {
                guard let responses = more[kept[index].endpoint] else { continue }
                decoded[index].merge(responses)
                kept[index].responses = DecodedResponses.merged(kept[index].responses, responses)
            }
        }
        // Read once: the cursor may move while this poll runs.
        var accountsWanted: Set<String> = []
        if case .selected(let selection) = poller.accounts {
            accountsWanted = selection.displayURLs
            if full { accountsRequestFailed = [:] }
            await askSelectedAccounts(accountsWanted, systemAccount, &kept, &decoded)
        }
        // As in replay: nothing is carried for a server past a poll it was not in.
        systemCarried.keepOnly(Set(kept.map(\.endpoint)))
        // `decode` gives one per kept poll, in order.
        for (index, responses) in zip(kept.indices, decoded) {
            var observation = EndpointObservation(
                endpoint: kept[index].endpoint, observedAt: kept[index].observedAt, decoded: responses,
                carried: &systemCarried[kept[index].endpoint])
            // Why the pane has no accounts for the server under the cursor, as over HTTP; kept as shown,
            // though no recording has it today: `--record` asks every server's accounts in the broadcast,
            // not the selected one's on its own subject.
            if accountsWanted.contains(kept[index].endpoint.displayURL) {
                kept[index].accountsNotHad = observation.noteAccountsNotHad(accountsRequestFailed[kept[index].endpoint]?.reason)
            }
            cycle.snapshot.observations.append(observation)
        }
        if poller.keepsRawResponses { cycle.raw += kept }
        cycle.snapshot.finishedAt = MonitorTime.now
        return cycle
    }

    /// The dashboard's selected servers among those that answered: each asked its `/gatewayz?accs=1` on
    /// its own subject, at every poll, since the request to every server went without accounts. An answer
    /// that failed, or does not decode, leaves the server as the broadcast showed it, with no accounts (the
    /// accounts are not worth failing a server for) and the reason as a partial failure while it stays
    /// selected, and the server is not asked again before the next full poll. Every other server's table
    /// is dropped, as over HTTP.
    private func askSelectedAccounts(
        _ selected: Set<String>, _ systemAccount: SystemAccountPoller, _ kept: inout [EndpointRawPoll], _ decoded: inout [DecodedResponses]
    ) async {
        for index in kept.indices {
            let endpoint = kept[index].endpoint
            // A table kept from an earlier answer is not shown as this poll's.
            systemCarried[endpoint]?.forgetAccounts()
            guard selected.contains(endpoint.displayURL), let id = decoded[index].gatewayz?.serverID else { continue }
            if let failed = accountsRequestFailed[endpoint] {
                if failed.serverID == id { continue }
                accountsRequestFailed[endpoint] = nil
            }
            let response = await systemAccount.gatewayzWithAccounts(ofServer: id)
            // Merged into a copy, decoded once: kept only if it decoded.
            var withAccounts = decoded[index]
            withAccounts.merge([response])
            guard response.failure == nil, withAccounts.gatewayz != nil else {
                let failure = response.failure ?? withAccounts.accountsAnsweredUnusably
                    ?? EndpointFailure(.decode, "the accounts answer did not decode")
                accountsRequestFailed[endpoint] = (id, DecodedResponses.accountsNotHad(failure))
                continue
            }
            decoded[index] = withAccounts
            kept[index].responses = DecodedResponses.merged(kept[index].responses, [response])
        }
    }

    /// Each server's answers decoded side by side, as the HTTP poller decodes each endpoint in its own task,
    /// sharing the remote server ids its last answer had (`names`, one per poll).
    private static func decode(_ polls: [EndpointRawPoll], reusing names: [ConnectionNames]) async -> [DecodedResponses] {
        await withTaskGroup(of: (Int, DecodedResponses).self) { group in
            for (index, poll) in polls.enumerated() {
                let previous = names[index]
                group.addTask { (index, DecodedResponses(poll.responses, reusing: previous)) }
            }
            var decoded = [DecodedResponses?](repeating: nil, count: polls.count)
            for await (index, responses) in group { decoded[index] = responses }
            return decoded.map { $0! }
        }
    }
}
