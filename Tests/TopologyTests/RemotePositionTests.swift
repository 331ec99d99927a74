import Foundation
import MonitorModel
import SyntheticMesh
import TestSupport
import Testing
@testable import Topology

/// The builder notes where each connection's remote server is in the model's list of servers, so the
/// diagnosis need not look 25,000 ids up. The note must be where a lookup finds the server, and the
/// diagnosis must not depend on it being right (a model may be edited or made by hand).
@Suite struct RemotePositionTests {
    let start = 1_800_000_000.0

    /// Models (with the poll before) of every shape the builder meets: servers recorded from both
    /// server versions, healthy, broken and misconfigured; a synthetic mesh with a cut, a server down
    /// and re-dialled connections; remotes seen only at the far end of a connection or route; an
    /// endpoint that fails while the server answers at another URL (two nodes with one id).
    func models() throws -> [(name: String, model: Supercluster, previous: Supercluster)] {
        var models: [(name: String, model: Supercluster, previous: Supercluster)] = []
        for topology in ["healthy", "broken", "misconfigured"] {
            let first = SuperclusterBuilder.build(poll: try Fixtures.poll(topology: topology, number: 1), previous: nil)
            let second = SuperclusterBuilder.build(poll: try Fixtures.poll(topology: topology, number: 2), previous: first)
            models.append((topology, second, first))
        }

        let whole = SyntheticMesh(clusters: 10, serversPerCluster: 3, startedAt: start - 3600)
        let mesh = SyntheticMesh(
            clusters: 10, serversPerCluster: 3, startedAt: start - 3600,
            faults: .init(
                cutPairs: [.init(whole.cluster(named: "dc02")!, whole.cluster(named: "dc05")!)],
                downServers: [whole.server(named: "dc07-s2")!], from: start + 10))
        let before = SuperclusterBuilder.build(poll: mesh.poll(at: start + 9, sequence: 1), previous: nil)
        let broken = SuperclusterBuilder.build(poll: mesh.poll(at: start + 10, sequence: 2), previous: before)
        models.append(("synthetic, broken while watched", broken, before))

        var servers = healthyTwoClusters()
        servers[0].outbound.append(LinkSpec(cluster: "c", gid: 90, remoteID: "C9"))  // c9 is not polled
        servers[1].routes.append((id: "A3", name: "a3"))  // nor is a3, named only by a route
        servers[2].inbound.append(LinkSpec(cluster: "a", gid: 91, remoteID: "A3"))
        servers[0].inbound = []  // and an asymmetric link: b1's outbound to a1 is not held by a1
        // A failed endpoint's node is keyed by its URL; a (hostile) remote id spelled the same is not it.
        servers[1].outbound.append(LinkSpec(cluster: "c", gid: 92, remoteID: "url:http://c1:8222"))
        let failure = [(url: "http://c1:8222", group: Optional("c"), failure: EndpointFailure(.refused, "connection refused"))]
        let farEnds = SuperclusterBuilder.build(poll: poll(1, at: 1000, servers, failures: failure), previous: nil)
        let farEndsLater = SuperclusterBuilder.build(poll: poll(2, at: 1001, servers, failures: failure), previous: farEnds)
        models.append(("remotes seen only at the far end", farEndsLater, farEnds))

        let twoNodesOneID = serverAnsweringAtASecondURL(remoteNamedLikeTheFailedNode: true)
        models.append(("two nodes with one id", twoNodesOneID.model, twoNodesOneID.previous))
        return models
    }

    @Test func eachConnectionNotesWhereALookupFindsItsRemote() throws {
        for (name, model, _) in try models() {
            let servers = model.servers
            let positions = servers.positionsByID()
            var noted = 0
            for server in servers {
                for link in server.outbound + server.inbound {
                    let expected = link.remoteServerID.flatMap { positions[$0] }
                    #expect(link.remoteServerPosition.value == expected, "\(name): \(server.name) \(link.logToken)")
                    if expected != nil { noted += 1 }
                }
            }
            #expect(noted > 0, "\(name)")
        }
        let farEnds = try #require(try models().first { $0.name == "remotes seen only at the far end" }?.model)
        #expect(farEnds.server(id: "C9")?.polled == false && farEnds.server(id: "A3")?.name == "a3")
        let spelledAsURL = farEnds.server(id: "A2")?.outbound.first { $0.gid == 92 }
        #expect(spelledAsURL?.remoteServerID == "url:http://c1:8222" && spelledAsURL?.remoteServerPosition.value == nil)
        #expect(farEnds.servers.contains { $0.url == "http://c1:8222" && !$0.reachable })
        // The same where the failed node has an id of its own (b1's, which answers at another URL).
        let twoNodesOneID = try #require(try models().first { $0.name == "two nodes with one id" }?.model)
        let namedLikeTheNode = twoNodesOneID.server(id: "A2")?.inbound.first { $0.gid == 93 }
        #expect(namedLikeTheNode?.remoteServerID == "url:http://b1:8222" && namedLikeTheNode?.remoteServerPosition.value == nil)
    }

    /// Every noted position moved one server on, or dropped: the diagnosis finds the same problems, having
    /// checked each position and looked up the ones that do not hold.
    @Test func theDiagnosisDoesNotTrustTheNotedPositions() throws {
        var problemsFound = 0
        for (name, model, previous) in try models() {
            let problems = MeshDiagnosis.diagnose(model, previous: previous)
            problemsFound += problems.count
            for shift in [1, -1] {
                var wrong = model
                let count = model.servers.count
                for c in wrong.clusters.indices {
                    for s in wrong.clusters[c].servers.indices {
                        func misplace(_ links: inout [GatewayLink]) {
                            for index in links.indices {
                                links[index].remoteServerPosition.value = shift > 0
                                    ? links[index].remoteServerPosition.value.map { ($0 + shift) % count } : nil
                            }
                        }
                        misplace(&wrong.clusters[c].servers[s].outbound)
                        misplace(&wrong.clusters[c].servers[s].inbound)
                    }
                }
                #expect(wrong == model, "the position is not part of a link's value")
                let found = MeshDiagnosis.diagnose(wrong, previous: previous)
                // Compared whole, reported briefly: a model's problems are many lines.
                let same = found == problems
                #expect(same, "\(name), positions shifted by \(shift): \(found.count) problems against \(problems.count)")
            }
        }
        #expect(problemsFound > 50)
    }
}
