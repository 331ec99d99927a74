import Foundation
public import MonitorModel

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
    public let kinds: [MonitorEndpointKind]
    /// Keep every raw response in the cycle (for `--record`). Otherwise each endpoint's bodies are
    /// decoded as soon as they arrive and let go, so a poll of 250 servers never holds its 27 MB of JSON
    /// beside the decoded documents.
    public let keepsRawResponses: Bool
    private let now: @Sendable () -> MonitorTime

    public init(
        targets: [MonitorTarget], transport: any MonitoringTransport, maxConcurrentEndpoints: Int = 64,
        kinds: [MonitorEndpointKind] = MonitorEndpointKind.allCases, keepsRawResponses: Bool = true,
        now: @escaping @Sendable () -> MonitorTime = { MonitorTime.now }
    ) {
        self.targets = targets
        self.transport = transport
        self.maxConcurrentEndpoints = max(1, maxConcurrentEndpoints)
        self.kinds = kinds
        self.keepsRawResponses = keepsRawResponses
        self.now = now
    }

    public func poll(sequence: Int) async -> PollCycle {
        let startedAt = now()
        var observations = [EndpointObservation?](repeating: nil, count: targets.count)
        var raw = [EndpointRawPoll?](repeating: nil, count: keepsRawResponses ? targets.count : 0)
        let keepsRaw = keepsRawResponses
        await withTaskGroup(of: (Int, EndpointObservation, EndpointRawPoll?).self) { group in
            var next = 0
            func startNext() {
                guard next < targets.count else { return }
                let index = next
                let target = targets[index]
                next += 1
                group.addTask {
                    // Decoded in the endpoint's own task, on any free core, while other endpoints are
                    // still on the wire; the bodies then go unless a recording wants them.
                    let exchange = await pollEndpoint(target)
                    return (index, exchange.observation, keepsRaw ? exchange : nil)
                }
            }
            for _ in 0..<min(maxConcurrentEndpoints, targets.count) { startNext() }
            while let (index, observation, exchange) = await group.next() {
                observations[index] = observation
                if keepsRaw { raw[index] = exchange }
                startNext()
            }
        }
        let snapshot = PollSnapshot(
            sequence: sequence, startedAt: startedAt, finishedAt: now(), observations: observations.compactMap { $0 })
        return PollCycle(snapshot: snapshot, raw: raw.compactMap { $0 })
    }

    /// All documents of one endpoint at once, over the pooled connections to that host.
    private func pollEndpoint(_ target: MonitorTarget) async -> EndpointRawPoll {
        let transport = self.transport
        let responses = await withTaskGroup(of: RawResponse.self) { group in
            for kind in kinds { group.addTask { await transport.fetch(target, kind) } }
            var collected: [RawResponse] = []
            for await response in group { collected.append(response) }
            return collected.sorted { kinds.firstIndex(of: $0.kind)! < kinds.firstIndex(of: $1.kind)! }
        }
        return EndpointRawPoll(endpoint: target.identity, observedAt: now(), responses: responses)
    }
}
