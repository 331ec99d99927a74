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
    /// Every how many polls everything is asked (`MonitorEndpointKind.fullSet`); the polls between ask
    /// only `frequentSet` and take the rest from `CarriedDocuments`. 1: every poll is full. Poll 1 is
    /// always full, and full polls fall on the same sequence numbers for every endpoint, so a replay can
    /// start from any full poll.
    public let fullPollEvery: Int
    /// Keep every raw response in the cycle (for `--record`). Otherwise each endpoint's bodies are
    /// decoded as soon as they arrive and let go, so a poll of 250 servers never holds its 27 MB of JSON
    /// beside the decoded documents.
    public let keepsRawResponses: Bool
    private let now: @Sendable () -> MonitorTime
    /// What the last full answers said, per endpoint. Read when a poll starts, written when it ends (polls
    /// of one poller never overlap: the session runs them one after another).
    private let carried = CarriedStore()

    final class CarriedStore: Sendable {
        let documents = Mutex(CarriedDocuments())
    }

    public init(
        targets: [MonitorTarget], transport: any MonitoringTransport, maxConcurrentEndpoints: Int = 64,
        fullPollEvery: Int = 1, keepsRawResponses: Bool = true,
        now: @escaping @Sendable () -> MonitorTime = { MonitorTime.now }
    ) {
        self.targets = targets
        self.transport = transport
        self.maxConcurrentEndpoints = max(1, maxConcurrentEndpoints)
        self.fullPollEvery = max(1, fullPollEvery)
        self.keepsRawResponses = keepsRawResponses
        self.now = now
    }

    /// Whether poll `sequence` (counted from 1) asks everything.
    public func isFullPoll(_ sequence: Int) -> Bool { (sequence - 1) % fullPollEvery == 0 }

    public func poll(sequence: Int) async -> PollCycle {
        let startedAt = now()
        let full = isFullPoll(sequence)
        let carriedBefore = carried.documents.withLock { $0 }
        var carriedAfter = CarriedDocuments()
        var observations = [EndpointObservation?](repeating: nil, count: targets.count)
        var raw = [EndpointRawPoll?](repeating: nil, count: keepsRawResponses ? targets.count : 0)
        let keepsRaw = keepsRawResponses
        await withTaskGroup(of: (Int, EndpointObservation, CarriedDocuments.Entry?, EndpointRawPoll?).self) { group in
            var next = 0
            func startNext() {
                guard next < targets.count else { return }
                let index = next
                let target = targets[index]
                let entry = carriedBefore[target.identity]
                next += 1
                group.addTask {
                    // Decoded in the endpoint's own task, on any free core, while other endpoints are
                    // still on the wire; the bodies then go unless a recording wants them.
                    let (exchange, observation, entry) = await pollEndpoint(target, full: full, carried: entry)
                    return (index, observation, entry, keepsRaw ? exchange : nil)
                }
            }
            for _ in 0..<min(maxConcurrentEndpoints, targets.count) { startNext() }
            while let (index, observation, entry, exchange) = await group.next() {
                observations[index] = observation
                carriedAfter[targets[index].identity] = entry
                if keepsRaw { raw[index] = exchange }
                startNext()
            }
        }
        carried.documents.withLock { $0 = carriedAfter }
        let snapshot = PollSnapshot(
            sequence: sequence, startedAt: startedAt, finishedAt: now(), observations: observations.compactMap { $0 })
        return PollCycle(snapshot: snapshot, raw: raw.compactMap { $0 })
    }

    /// One endpoint's documents, asked at once over the pooled connections to that host: everything on
    /// a full poll; otherwise the frequent ones, then the rest too if they show what the carried ones do
    /// not cover (see `CarriedDocuments.needsCarriedDocuments`).
    private func pollEndpoint(
        _ target: MonitorTarget, full: Bool, carried: CarriedDocuments.Entry?
    ) async -> (EndpointRawPoll, EndpointObservation, CarriedDocuments.Entry?) {
        var responses = await fetch(target, full || carried == nil ? MonitorEndpointKind.fullSet : MonitorEndpointKind.frequentSet)
        var decoded = DecodedResponses(responses)
        if !full, carried != nil, let gatewayz = decoded.gatewayz,
            CarriedDocuments.needsCarriedDocuments(carried, for: gatewayz)
        {
            let more = await fetch(target, MonitorEndpointKind.carriedSet)
            decoded.merge(more)
            // What the recording keeps is what the observation was built from.
            responses.removeAll { $0.kind == .gatewayzLinks }
            responses = (responses + more).sorted { $0.kind.listOrder < $1.kind.listOrder }
        }
        var entry = carried
        let observedAt = now()
        let observation = EndpointObservation(endpoint: target.identity, observedAt: observedAt, decoded: decoded, carried: &entry)
        return (EndpointRawPoll(endpoint: target.identity, observedAt: observedAt, responses: responses), observation, entry)
    }

    private func fetch(_ target: MonitorTarget, _ kinds: [MonitorEndpointKind]) async -> [RawResponse] {
        let transport = self.transport
        return await withTaskGroup(of: RawResponse.self) { group in
            for kind in kinds { group.addTask { await transport.fetch(target, kind) } }
            var collected: [RawResponse] = []
            for await response in group { collected.append(response) }
            return collected.sorted { $0.kind.listOrder < $1.kind.listOrder }
        }
    }
}

