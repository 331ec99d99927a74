import Foundation
public import MonitorModel
import Synchronization

/// One finished poll cycle: decoded observations plus the raw exchanges they came from (empty unless
/// the poller keeps them, for a recording).
public struct PollCycle: Sendable {
    public var snapshot: PollSnapshot
    public var raw: [EndpointRawPoll]
}

/// Polls every endpoint's monitoring documents concurrently. A cycle lasts about as long as its slowest
/// endpoint (bounded by the per-request timeout), never the sum; a failing endpoint only affects itself.
public struct Poller: Sendable {
    public let targets: [MonitorTarget]
    public let transport: any MonitoringTransport
    /// Endpoints polled at the same time; the rest wait for a free slot.
    public let maxConcurrentEndpoints: Int
    /// Keep every raw response in the cycle (for `--record`). Otherwise each endpoint's bodies are
    /// decoded as soon as they arrive and let go, so a poll of 250 servers never holds its 27 MB of JSON
    /// beside the decoded documents.
    public let keepsRawResponses: Bool
    /// Whose per-account interest lists (`/gatewayz?accs=1`) the polls ask for (see `AccountsScope`).
    public let accounts: AccountsScope
    /// Run each poll's tasks on the transport's own thread (`MonitoringTransport.ownThreadExecutor`, the
    /// plain-HTTP event loop) instead of the cooperative pool, for watching: nothing then passes between
    /// threads within a poll, where on the pool each request woke the loop (its promise, its deadline) and
    /// each response woke a pool thread and then the task collecting it, about 1,200 context switches a
    /// poll at 250 servers. Measured alternately at 250 servers: a sixth less CPU a poll (146.5 → 123 ms).
    /// But every document is then decoded on that one thread: `--once` at 250 servers took a seventh to a
    /// third longer, so one-shot runs, which wait for the answer, leave it off.
    public let runsOnTransportThread: Bool
    private let now: @Sendable () -> MonitorTime
    /// What the last full answers said, per endpoint. Read when a poll starts, written when it ends (polls
    /// of one poller never overlap: the session runs them one after another).
    private let carried = CarriedStore()
    /// Every endpoint's remote server ids as one String each (see `ServerIDInterner`); the system-account
    /// source shares it.
    public let serverIDs = ServerIDInterner()

    final class CarriedStore: Sendable {
        let documents = Mutex(CarriedDocuments())
        /// Servers whose `/gatewayz?accs=1` was answered but of no use (`DecodedResponses.accountsAnsweredUnusably`),
        /// with why: asked without accounts until the next full poll, which tries again.
        let accountsUnusable = Mutex<[EndpointIdentity: String]>([:])
    }

    public init(
        targets: [MonitorTarget], transport: any MonitoringTransport, maxConcurrentEndpoints: Int = 64,
        keepsRawResponses: Bool = true, accounts: AccountsScope = .everyServer, runsOnTransportThread: Bool = false,
        now: @escaping @Sendable () -> MonitorTime = { MonitorTime.now }
    ) {
        self.runsOnTransportThread = runsOnTransportThread
        self.targets = targets
        self.transport = transport
        self.maxConcurrentEndpoints = max(1, maxConcurrentEndpoints)
        self.keepsRawResponses = keepsRawResponses
        self.accounts = accounts
        self.now = now
    }

    /// One poll of every endpoint. `full`: ask everything (`MonitorEndpointKind.fullSet`); otherwise only
    /// `frequentSet`, with the rest taken from what the last full answers said (see `CarriedDocuments`
    /// and `FullPollSchedule`). A full poll is full for every endpoint, so a replay can start from it.
    public func poll(sequence: Int, full: Bool = true) async -> PollCycle {
        // Child tasks inherit the preference: every endpoint's fetching, decoding and collecting.
        await withTaskExecutorPreference(runsOnTransportThread ? transport.ownThreadExecutor : nil) {
            await pollEveryEndpoint(sequence: sequence, full: full)
        }
    }

    private func pollEveryEndpoint(sequence: Int, full: Bool) async -> PollCycle {
        let startedAt = now()
        let carriedBefore = carried.documents.withLock { $0 }
        // Read once: the dashboard may move its selection while the poll is on the wire.
        let accountsAsked = accounts.selection
        let accountsUnusable = full ? [:] : carried.accountsUnusable.withLock { $0 }
        var accountsUnusableAfter = accountsUnusable
        var carriedAfter = CarriedDocuments()
        var observations = [EndpointObservation?](repeating: nil, count: targets.count)
        var raw = [EndpointRawPoll?](repeating: nil, count: keepsRawResponses ? targets.count : 0)
        let keepsRaw = keepsRawResponses
        await withTaskGroup(of: (Int, EndpointObservation, CarriedDocuments.Entry?, EndpointRawPoll?, String?).self) { group in
            var next = 0
            func startNext() {
                guard next < targets.count else { return }
                let index = next
                let target = targets[index]
                let entry = carriedBefore[target.identity]
                next += 1
                group.addTask {
                    // Decoded in the endpoint's own task (on any free core, or on the transport's
                    // thread), while other endpoints are still on the wire; the bodies then go unless a
                    // recording wants them.
                    let unusable = accountsUnusable[target.identity]
                    let (exchange, observation, entry, accountsFailure) = await pollEndpoint(
                        target, full: full, carried: entry, wantsAccounts: accountsAsked.includes(target.identity),
                        accountsUnusable: unusable)
                    return (index, observation, entry, keepsRaw ? exchange : nil, accountsFailure)
                }
            }
            for _ in 0..<min(maxConcurrentEndpoints, targets.count) { startNext() }
            while let (index, observation, entry, exchange, accountsFailure) = await group.next() {
                observations[index] = observation
                carriedAfter[targets[index].identity] = entry
                if let accountsFailure { accountsUnusableAfter[targets[index].identity] = accountsFailure }
                if keepsRaw { raw[index] = exchange }
                startNext()
            }
        }
        carried.documents.withLock { $0 = carriedAfter }
        carried.accountsUnusable.withLock { $0 = accountsUnusableAfter }
        let snapshot = PollSnapshot(
            sequence: sequence, startedAt: startedAt, finishedAt: now(), observations: observations.compactMap { $0 })
        return PollCycle(snapshot: snapshot, raw: raw.compactMap { $0 })
    }

    /// One endpoint's documents, asked at once over the pooled connections to that host: everything on
    /// a full poll; otherwise the frequent ones, then the rest too if they show what the carried ones do
    /// not cover (see `CarriedDocuments.needsCarriedDocuments`); `/healthz` beside the frequent ones while the
    /// server says it is not well (`CarriedDocuments.asksHealthAgain`). `wantsAccounts`: something shows
    /// this server's accounts; with `AccountsScope.selected` they are asked at every poll (and any other
    /// server's table is let go). A `/gatewayz?accs=1` answered but of no use is asked again without
    /// accounts at once, so the server is shown without them rather than failed for them, and its table
    /// dropped; the reason is returned, and, as `accountsUnusable`, keeps them from being asked and is shown
    /// beside each poll's answer until the next full poll asks again.
    private func pollEndpoint(
        _ target: MonitorTarget, full: Bool, carried: CarriedDocuments.Entry?, wantsAccounts: Bool, accountsUnusable: String?
    ) async -> (EndpointRawPoll, EndpointObservation, CarriedDocuments.Entry?, String?) {
        let everyPoll: Bool
        if case .selected = accounts { everyPoll = true } else { everyPoll = false }
        var withAccounts = wantsAccounts && accountsUnusable == nil
        let first = full || carried == nil
            ? MonitorEndpointKind.fullSet
            : (withAccounts && everyPoll ? [.gatewayz] : MonitorEndpointKind.frequentSet)
                + (CarriedDocuments.asksHealthAgain(carried) ? [.healthz] : [])
        var responses = await fetch(target, withAccounts ? first : MonitorEndpointKind.withoutAccounts(first))
        var decoded = DecodedResponses(responses, reusing: carried?.connectionNames ?? ConnectionNames(interning: serverIDs))
        var accountsFailure = accountsUnusable
        if withAccounts, let reason = await askedAgainWithoutAccounts(target, &decoded, &responses) {
            accountsFailure = reason
            withAccounts = false
        }
        // Only a table carried from the last full poll can lack a connection: one asked at every poll is this poll's.
        if !full, carried != nil, let gatewayz = decoded.gatewayz,
            CarriedDocuments.needsCarriedDocuments(carried, for: gatewayz, accounts: withAccounts && !everyPoll)
        {
            // All but what this poll asked already (a `/healthz` asked again beside `/gatewayz`).
            let more = await fetch(target, MonitorEndpointKind.rest(accounts: withAccounts).filter { !first.contains($0) })
            decoded.merge(more)
            responses = DecodedResponses.merged(responses, more)
            // The rest's `/gatewayz?accs=1` (a new connection's accounts) answered unusably would otherwise
            // replace the good `/gatewayz` this poll had, and show the server down.
            if withAccounts, let reason = await askedAgainWithoutAccounts(target, &decoded, &responses) {
                accountsFailure = reason
                withAccounts = false
            }
        }
        var entry = carried
        // A server no longer selected, or whose accounts could not be had: its table would only grow old
        // unseen, and be shown as current when the selection comes back to it (which asks it anew at the
        // next poll). (A full poll without accounts drops it in `EndpointObservation`, for replay too.)
        if everyPoll, !withAccounts { entry?.forgetAccounts() }
        let observedAt = now()
        var observation = EndpointObservation(endpoint: target.identity, observedAt: observedAt, decoded: consume decoded, carried: &entry)
        // Shown only where accounts are wanted; recorded as shown.
        let shownReason = observation.noteAccountsNotHad(wantsAccounts ? accountsFailure : nil)
        return (
            EndpointRawPoll(endpoint: target.identity, observedAt: observedAt, responses: responses, accountsNotHad: shownReason),
            observation, entry, accountsUnusable == nil ? accountsFailure : nil)
    }

    /// If this poll's `/gatewayz?accs=1` was answered but is of no use (`accountsAnsweredUnusably`): asks
    /// `/gatewayz` without accounts in its place, and gives the reason to show if that one decoded (if it
    /// did not either, the server is failing, not its accounts).
    private func askedAgainWithoutAccounts(
        _ target: MonitorTarget, _ decoded: inout DecodedResponses, _ responses: inout [RawResponse]
    ) async -> String? {
        guard let failure = decoded.accountsAnsweredUnusably else { return nil }
        let without = await fetch(target, [.gatewayzLinks])
        decoded.merge(without)
        responses = DecodedResponses.merged(responses, without)
        return decoded.gatewayz == nil ? nil : DecodedResponses.accountsNotHad(failure)
    }

    private func fetch(_ target: MonitorTarget, _ kinds: [MonitorEndpointKind]) async -> [RawResponse] {
        let transport = self.transport
        // A poll between full ones asks one document: no group of tasks for it (one per server a second).
        if kinds.count == 1 { return [await transport.fetch(target, kinds[0])] }
        return await withTaskGroup(of: RawResponse.self) { group in
            for kind in kinds { group.addTask { await transport.fetch(target, kind) } }
            var collected: [RawResponse] = []
            for await response in group { collected.append(response) }
            return collected.sorted { $0.kind.listOrder < $1.kind.listOrder }
        }
    }
}

/// Whose per-account interest lists (`/gatewayz?accs=1`, a third of a server's largest answer, which
/// the server builds anew for each request) a poller asks for: only what something will show.
public enum AccountsScope: Sendable {
    /// Nobody's: `--check`, the text report and `--headless` show no accounts. A connection new since the
    /// last full poll is then no reason to ask everything again.
    case none
    /// Every server's, on full polls, carried between them: the JSON report prints them all, and a
    /// recording keeps them for whichever connection a replay's detail pane opens.
    case everyServer
    /// The selected servers' (`AccountsSelection`), at every poll: the dashboard shows a connection's
    /// accounts in its detail pane only, so the rest of the mesh is asked without them. At 250 servers
    /// this spares each full poll 12 of its 27 MB; the server being looked at gets live interest modes.
    case selected(AccountsSelection)

    /// The servers whose accounts a poll starting now asks.
    var selection: Selection {
        switch self {
        case .none: .nobody
        case .everyServer: .everyone
        case .selected(let selection): .only(selection.displayURLs)
        }
    }

    enum Selection {
        case nobody, everyone
        case only(Set<String>)

        func includes(_ endpoint: EndpointIdentity) -> Bool {
            switch self {
            case .nobody: false
            case .everyone: true
            case .only(let urls): urls.contains(endpoint.displayURL)
            }
        }
    }

    /// Whether the system-account source's request to every server asks the accounts (on full polls):
    /// for every server's. The selected servers' are asked on their own subjects.
    public var systemAccountAsksAccounts: Bool {
        if case .everyServer = self { return true }
        return false
    }
}

/// The endpoints whose accounts the dashboard shows, by display URL: set by the UI thread as the
/// selection moves, read as each poll starts.
public final class AccountsSelection: Sendable {
    private let urls = Mutex<Set<String>>([])

    public init() {}

    public var displayURLs: Set<String> { urls.withLock { $0 } }

    public func select(_ displayURLs: Set<String>) { urls.withLock { $0 = displayURLs } }
}

/// When a poll asks everything: the first poll; then the first one at least `every` seconds after the
/// last full poll (by the clock, so changing the interval in the dashboard keeps the period); and at
/// least every `longestSpacing` polls, so a replay that jumps finds a full poll within that many records.
public struct FullPollSchedule: Sendable {
    /// Seconds between full polls; 0 or less: every poll is full.
    public let every: Double
    public let longestSpacing: Int
    private var lastFull: Double?
    private var pollsSinceFull = 0

    public init(every: Double, longestSpacing: Int) {
        self.every = every
        self.longestSpacing = max(1, longestSpacing)
    }

    /// Whether the poll starting at `seconds` (any monotonic clock) is full; records it.
    public mutating func nextPollIsFull(at seconds: Double) -> Bool {
        // Polls start a little early or late against the interval: 5 % of the period is the same moment.
        let due = lastFull.map { seconds - $0 >= every * 0.95 } ?? true
        if every <= 0 || due || pollsSinceFull + 1 >= longestSpacing {
            lastFull = seconds
            pollsSinceFull = 0
            return true
        }
        pollsSinceFull += 1
        return false
    }
}
