import Foundation
public import MonitorModel

/// One finished poll cycle: decoded observations plus the raw exchanges they came from.
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
    private let now: @Sendable () -> MonitorTime

    public init(
        targets: [MonitorTarget], transport: any MonitoringTransport, maxConcurrentEndpoints: Int = 64,
        kinds: [MonitorEndpointKind] = MonitorEndpointKind.allCases,
        now: @escaping @Sendable () -> MonitorTime = { MonitorTime.now }
    ) {
        self.targets = targets
        self.transport = transport
        self.maxConcurrentEndpoints = max(1, maxConcurrentEndpoints)
        self.kinds = kinds
        self.now = now
    }

    public func poll(sequence: Int) async -> PollCycle {
        let startedAt = now()
        var results = [EndpointRawPoll?](repeating: nil, count: targets.count)
        await withTaskGroup(of: (Int, EndpointRawPoll).self) { group in
            var next = 0
            func startNext() {
                guard next < targets.count else { return }
                let index = next
                let target = targets[index]
                next += 1
                group.addTask { (index, await pollEndpoint(target)) }
            }
            for _ in 0..<min(maxConcurrentEndpoints, targets.count) { startNext() }
            while let (index, result) = await group.next() {
                results[index] = result
                startNext()
            }
        }
        let raw = results.compactMap { $0 }
        let observations = raw.map(\.observation)
        let snapshot = PollSnapshot(sequence: sequence, startedAt: startedAt, finishedAt: now(), observations: observations)
        return PollCycle(snapshot: snapshot, raw: raw)
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
