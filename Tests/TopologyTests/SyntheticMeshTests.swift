import Foundation
import MonitorModel
import SyntheticMesh
import Testing
import Topology

/// The benchmark's synthetic supercluster must be one gwtop finds healthy and self-consistent, or the
/// benchmark would time the diagnosis of a broken mesh.
@Suite struct SyntheticMeshTests {
    /// `SyntheticMesh.poll`, every observation checked whole.
    func poll(_ mesh: SyntheticMesh, at now: Double, sequence: Int) throws -> PollSnapshot {
        let snapshot = mesh.poll(at: now, sequence: sequence)
        for observation in snapshot.observations {
            if let failure = observation.failure { throw failure }
            #expect(observation.partialFailures.isEmpty, "\(observation.partialFailures)")
        }
        return snapshot
    }

    @Test(arguments: [(10, 3), (4, 1), (50, 5)])
    func synthesisedMeshIsCompleteAndHealthy(clusters: Int, servers: Int) throws {
        let start = 1_800_000_000.0
        let mesh = SyntheticMesh(clusters: clusters, serversPerCluster: servers, startedAt: start - 3600)
        let first = SuperclusterBuilder.build(poll: try poll(mesh, at: start, sequence: 1), previous: nil)
        let second = SuperclusterBuilder.build(poll: try poll(mesh, at: start + 1, sequence: 2), previous: first)
        let links = second.servers.reduce(0) { $0 + $1.outbound.count + $1.inbound.count }
        #expect(links == mesh.connectionCount)
        #expect(links == 2 * clusters * servers * (clusters - 1))
        #expect(second.servers.count == clusters * servers && second.servers.allSatisfy(\.reachable))
        let problems = MeshDiagnosis.diagnose(second, previous: first)
        #expect(problems.isEmpty, "\(problems.prefix(5).map(\.message))")
        // Counters advance: every outbound link carries traffic, seen on both sides at the same rate.
        let outbound = second.servers.flatMap(\.outbound)
        #expect(outbound.allSatisfy { ($0.rates?.outMsgs ?? 0) > 0 })
        let sent = outbound.reduce(0.0) { $0 + ($1.rates?.outMsgs ?? 0) }
        let received = second.servers.flatMap(\.inbound).reduce(0.0) { $0 + ($1.rates?.inMsgs ?? 0) }
        #expect(abs(sent - received) < 0.01 * sent)
        #expect(first.servers.flatMap(\.outbound).allSatisfy { $0.rtt != nil && $0.remoteServerName != nil })
    }
}
