import Foundation
import MonitorModel
import TestSupport
import Testing
@testable import Topology

@Suite struct RateTests {
    @Test func ratesAreCounterDeltasOverServerTime() {
        let first = SuperclusterBuilder.build(poll: poll(1, at: 1000, healthyTwoClusters(aOut: 1000)), previous: nil)
        #expect(first.server(id: "A1")?.outbound.first?.rates == nil, "no rate without a baseline")
        let second = SuperclusterBuilder.build(poll: poll(2, at: 1002, healthyTwoClusters(aOut: 1500)), previous: first)
        let rates = second.server(id: "A1")?.outbound.first?.rates
        #expect(rates?.outMsgs == 250)
        #expect(rates?.outBytes == 25_000)
        #expect(second.server(id: "B1")?.inbound.first { $0.gid == 32 }?.rates?.inMsgs == 250)
        #expect(second.cluster(named: "a")?.rates?.outMsgs == 250)
        let pair = second.pairs.first { $0.from == "a" && $0.to == "b" }
        #expect(pair?.sentMsgsPerSecond == 250)
        #expect(pair?.receivedMsgsPerSecond == 250)
    }

    @Test func counterGoingBackwardsStartsANewBaseline() {
        let first = SuperclusterBuilder.build(poll: poll(1, at: 1000, healthyTwoClusters(aOut: 1000)), previous: nil)
        let second = SuperclusterBuilder.build(poll: poll(2, at: 1001, healthyTwoClusters(aOut: 10)), previous: first)
        #expect(second.server(id: "A1")?.outbound.first?.rates == nil)
        let third = SuperclusterBuilder.build(poll: poll(3, at: 1002, healthyTwoClusters(aOut: 20)), previous: second)
        #expect(third.server(id: "A1")?.outbound.first?.rates?.outMsgs == 10)
    }

    @Test func newGidStartsANewBaseline() {
        let first = SuperclusterBuilder.build(poll: poll(1, at: 1000, healthyTwoClusters(aOut: 10)), previous: nil)
        var reconnected = healthyTwoClusters(aOut: 5000)
        reconnected[0].outbound[0].gid = 40
        let second = SuperclusterBuilder.build(poll: poll(2, at: 1001, reconnected), previous: first)
        #expect(second.server(id: "A1")?.outbound.first?.rates == nil)
    }

    /// A connection is compared with the previous poll's of the same gid wherever it now is: usually at
    /// the same place in display order (looked at first), else moved by a connection that came or went
    /// before it. The same gid at the same place going the other way or to another cluster is a new
    /// connection, without a rate.
    @Test func eachConnectionIsComparedWithTheSameGidWhereverItMoved() {
        func server(_ outbound: [(String, UInt64)], _ inbound: [(String, UInt64, String)], count: Int64) -> ServerSpec {
            ServerSpec(
                id: "A1", name: "a1", cluster: "a", configured: outbound.map(\.0),
                outbound: outbound.map { LinkSpec(cluster: $0.0, gid: $0.1, remoteID: "\($0.0.uppercased())1", outMsgs: count) },
                inbound: inbound.map { LinkSpec(cluster: $0.0, gid: $0.1, remoteID: $0.2, inMsgs: count) })
        }
        let first = SuperclusterBuilder.build(
            poll: poll(1, at: 1000, [server([("c", 11), ("d", 12), ("e", 13)], [("c", 21, "C1"), ("c", 22, "C2"), ("d", 23, "D1")], count: 100)]),
            previous: nil)
        // b comes first, so c's outbound moves one place on; gid 13 stays at its place but goes to f now;
        // 23 was inbound and is outbound now, 12 the other way; inbound 22 comes from another server of c.
        let second = SuperclusterBuilder.build(
            poll: poll(2, at: 1002, [server([("b", 10), ("c", 11), ("f", 13), ("g", 23)], [("c", 21, "C1"), ("c", 22, "C3"), ("e", 12, "E1")], count: 300)]),
            previous: first)
        let node = second.server(id: "A1")
        func rate(_ links: [GatewayLink]?, _ gid: UInt64) -> Double?? {
            links?.first { $0.gid == gid }.map { $0.direction == .outbound ? $0.rates?.outMsgs : $0.rates?.inMsgs }
        }
        #expect(node?.outbound.map(\.gid) == [10, 11, 13, 23])
        #expect(node?.inbound.map(\.gid) == [21, 22, 12])
        #expect(rate(node?.outbound, 11) == 100, "moved one place on: found by gid")
        #expect(rate(node?.outbound, 10) == .some(nil), "new")
        #expect(rate(node?.outbound, 13) == .some(nil), "the same place and gid, to another cluster")
        #expect(rate(node?.outbound, 23) == .some(nil), "was inbound")
        #expect(rate(node?.inbound, 21) == 100, "the same place")
        #expect(rate(node?.inbound, 22) == 100, "same gid, place, cluster and direction: the remote's id is not compared")
        #expect(rate(node?.inbound, 12) == .some(nil), "was outbound")
        #expect(node?.outbound.filter(\.seenBefore).map(\.gid) == [11])
        #expect(node?.inbound.filter(\.seenBefore).map(\.gid) == [21, 22])
    }

    /// Connections are listed by remote cluster name (then remote server, then gid), whatever order the
    /// server gave them in; the clusters are ranked once a poll, and a node resolved with ranks that lack
    /// its clusters ranks them itself, in the same order.
    @Test func connectionsAreListedByRemoteClusterNameWithOrWithoutThePollsRanks() {
        let clusters = ["zeta", "b10", "b9", "Alpha", "alpha", "é", "e\u{301}x", "m"]
        let spec = ServerSpec(
            id: "A1", name: "a1", cluster: "a", configured: clusters,
            outbound: clusters.enumerated().map { LinkSpec(cluster: $1, gid: UInt64(100 + $0), remoteID: "R\($0)") },
            inbound: clusters.reversed().enumerated().flatMap { index, cluster in
                [LinkSpec(cluster: cluster, gid: UInt64(300 - index), remoteID: "Q\(index)"), LinkSpec(cluster: cluster, gid: UInt64(200 + index), remoteID: "Q\(index)")]
            })
        let model = SuperclusterBuilder.build(poll: poll(1, at: 1000, [spec]), previous: nil)
        let node = model.server(id: "A1")
        let expected = clusters.sorted()
        #expect(node?.outbound.map(\.remoteCluster) == expected)
        #expect(node?.inbound.map(\.remoteCluster) == expected.flatMap { [$0, $0] })
        let inbound = node?.inbound ?? []
        #expect(zip(inbound, inbound.dropFirst()).allSatisfy { $0.remoteCluster != $1.remoteCluster || $0.gid < $1.gid }, "one remote: by gid")
        // The same node resolved on its own, with ranks that know none of its clusters.
        var alone = spec.observation(at: 1000).snapshot.map { SuperclusterBuilder.answeringNode(spec.observation(at: 1000), $0) }
        if alone != nil {
            SuperclusterBuilder.resolveLinks(of: &alone!, remotes: [:], previous: nil, clusterRanks: SuperclusterBuilder.ClusterRanks(["m"]))
        }
        #expect(alone?.outbound.map(\.gid) == node?.outbound.map(\.gid))
        #expect(alone?.inbound.map(\.gid) == node?.inbound.map(\.gid))
    }

    /// No nats-server lists a gid twice, but a previous poll that did is read the same way every time: a
    /// connection at the same place with the same gid, direction and cluster is the one compared; elsewhere
    /// the gid's last listing (inbound after outbound) is. (Found in review: before the same place was
    /// looked at first, only the last listing counted.)
    @Test func aGidListedTwiceBeforeIsComparedAtTheSamePlaceFirst() {
        func server(count: Int64) -> ServerSpec {
            ServerSpec(
                id: "A1", name: "a1", cluster: "a", configured: ["b", "c"],
                outbound: [LinkSpec(cluster: "b", gid: 5, remoteID: "B1", outMsgs: count)],
                inbound: [LinkSpec(cluster: "b", gid: 5, remoteID: "B1", inMsgs: count), LinkSpec(cluster: "b", gid: 7, remoteID: "B2", inMsgs: count),
                          LinkSpec(cluster: "c", gid: 7, remoteID: "C1", inMsgs: count)])
        }
        let first = SuperclusterBuilder.build(poll: poll(1, at: 1000, [server(count: 100)]), previous: nil)
        let second = SuperclusterBuilder.build(poll: poll(2, at: 1002, [server(count: 300)]), previous: first)
        let node = second.server(id: "A1")
        #expect(node?.outbound.map(\.seenBefore) == [true], "gid 5 outbound, at its place")
        #expect(node?.outbound.first?.rates?.outMsgs == 100)
        #expect(node?.inbound.map(\.seenBefore) == [true, true, true])
        #expect(node?.inbound.map { $0.rates?.inMsgs } == [100, 100, 100])
    }

    @Test func noTimeElapsedGivesNoRate() {
        let first = SuperclusterBuilder.build(poll: poll(1, at: 1000, healthyTwoClusters(aOut: 10)), previous: nil)
        let second = SuperclusterBuilder.build(poll: poll(2, at: 1000, healthyTwoClusters(aOut: 20)), previous: first)
        #expect(second.server(id: "A1")?.outbound.first?.rates == nil)
    }
}

@Suite struct MergeTests {
    @Test func remoteOnlyServersAppearAsNotPolledWithResolvedNames() {
        var servers = healthyTwoClusters()
        servers.removeLast()  // b1 not polled
        servers[0].routes = [("A2", "a2"), ("A3", "a3")]
        let model = SuperclusterBuilder.build(poll: poll(1, at: 1000, servers), previous: nil)
        let b1 = model.server(id: "B1")
        #expect(b1?.polled == false)
        #expect(b1?.cluster == "b")
        #expect(b1?.name == "B1", "b1's name is unknown: it was never polled")
        let a3 = model.server(id: "A3")
        #expect(a3?.name == "a3")
        #expect(a3?.polled == false)
        #expect(model.server(id: "A1")?.outbound.first?.remoteServerName == nil)
        #expect(model.server(id: "B1") != nil)
        #expect(model.cluster(named: "a")?.servers.map(\.name) == ["a1", "a2", "a3"])
    }

    /// A large cluster's servers, and clusters, are listed as a person counts: s2 before s10, dc9 before
    /// dc10; the bucket of servers whose cluster is unknown stays last.
    @Test func serversAndClustersAreInNaturalOrder() {
        let names = ["s10", "s2", "s100", "s1", "s11", "s9"]
        var servers = names.map { ServerSpec(id: "ID-\($0)", name: $0, cluster: "dc10") }
        servers += ["dc9", "dc1", "dc2"].map { ServerSpec(id: "ID-\($0)", name: "\($0)-a", cluster: $0) }
        let model = SuperclusterBuilder.build(
            poll: poll(1, at: 1000, servers, failures: [(url: "http://lost:8222", group: nil, failure: EndpointFailure(.refused, "connection refused"))]),
            previous: nil)
        #expect(model.clusters.map(\.name) == ["dc1", "dc2", "dc9", "dc10", SuperclusterBuilder.unknownClusterName])
        #expect(model.cluster(named: "dc10")?.servers.map(\.name) == ["s1", "s2", "s9", "s10", "s11", "s100"])
    }

    @Test func naturalOrderComparesRunsOfDigitsAsNumbers() {
        let sorted = ["a10", "a2", "a1", "b", "a", "a02", "a01b", "a1b", "a1a", "10", "9", "x-7", "x-07", "é2", "z"]
            .sorted(by: NaturalOrder.less)
        // a01b and a1b read the same (1, then b): told apart by `<`, as a02 and a2 are.
        #expect(sorted == ["9", "10", "a", "a1", "a1a", "a01b", "a1b", "a02", "a2", "a10", "b", "x-07", "x-7", "z", "é2"])
        // A strict total order: irreflexive, and exactly one of two different names comes first.
        for left in sorted {
            #expect(!NaturalOrder.less(left, left))
            for right in sorted where right != left { #expect(NaturalOrder.less(left, right) != NaturalOrder.less(right, left)) }
        }
        #expect(NaturalOrder.less("s99999999999999999999999", "s100000000000000000000000"))
    }

    /// Links come out ordered by remote cluster (outbound) and by cluster, remote name and gid (inbound),
    /// each one whole, whatever order the server's JSON objects arrived in.
    @Test func linksAreOrderedAndKeptWhole() {
        let clusters = (0..<40).map { "c\(String(format: "%02d", $0))" }
        var hub = ServerSpec(id: "HUB", name: "hub", cluster: "zz")
        var generator = SeededGenerator(seed: 0x6777_746F_7000)
        for (index, cluster) in clusters.shuffled(using: &generator).enumerated() {
            hub.outbound.append(LinkSpec(cluster: cluster, gid: UInt64(1000 + index), remoteID: "R-\(cluster)", inMsgs: Int64(index)))
            for dialer in (0..<3).shuffled(using: &generator) {
                hub.inbound.append(LinkSpec(
                    cluster: cluster, gid: UInt64(5000 + index * 10 + dialer), remoteID: "D-\(cluster)-\(dialer)",
                    outMsgs: Int64(index * 10 + dialer)))
            }
        }
        let model = SuperclusterBuilder.build(poll: poll(1, at: 1000, [hub]), previous: nil)
        let node = model.server(id: "HUB")
        #expect(node?.outbound.map(\.remoteCluster) == clusters)
        #expect(node?.inbound.map(\.remoteServerID) == clusters.flatMap { cluster in (0..<3).map { "D-\(cluster)-\($0)" } })
        // Every link still carries its own fields: the gid and counters it was given travel with it.
        for link in node?.outbound ?? [] {
            let original = hub.outbound.first { $0.gid == link.gid }
            #expect(original?.cluster == link.remoteCluster && original?.inMsgs == link.inMsgs && original?.remoteID == link.remoteServerID)
        }
        for link in node?.inbound ?? [] {
            let original = hub.inbound.first { $0.gid == link.gid }
            #expect(original?.cluster == link.remoteCluster && original?.outMsgs == link.outMsgs && original?.remoteID == link.remoteServerID)
        }
        #expect(node?.inbound.count == 120)
    }

    /// A peer's route may call a server by another name (a rename not yet seen by the peer): the name the
    /// polled server gives itself is the one shown, on its node and on every connection to it.
    @Test func aPolledServersOwnNameWinsOverARoutesName() {
        var servers = healthyTwoClusters()
        servers[1].routes = [("A1", "old-a1")]
        let model = SuperclusterBuilder.build(poll: poll(1, at: 1000, servers), previous: nil)
        #expect(model.server(id: "A1")?.name == "a1")
        #expect(model.server(id: "B1")?.inbound.first { $0.remoteServerID == "A1" }?.remoteServerName == "a1")
        #expect(model.server(id: "B1")?.outbound.first?.remoteServerName == "a1")
    }

    /// Routes to servers that answered name nothing and add no node (the builder drops them before it
    /// looks the rest up): whatever they call the server, the model is the one built without them. Routes
    /// to a server that did not answer still name it, whether its endpoint failed or it is not polled.
    @Test func routesToAnsweringServersChangeNothingAndTheRestStillName() {
        var servers = healthyTwoClusters()
        let a2 = servers.remove(at: 1)  // a2 stops answering: its endpoint fails, as it was seen before
        servers.append(ServerSpec(id: "B2", name: "b2", cluster: "b", configured: ["a"]))
        let failure = [(url: "http://a2:8222", group: Optional("a"), failure: EndpointFailure(.refused, "connection refused"))]
        let before = SuperclusterBuilder.build(poll: poll(1, at: 1000, healthyTwoClusters()), previous: nil)
        func model(_ routes: (Int) -> [(id: String, name: String?)]) -> Supercluster {
            var specs = servers
            for index in specs.indices { specs[index].routes = routes(index) }
            return SuperclusterBuilder.build(poll: poll(2, at: 1001, specs, failures: failure), previous: before)
        }
        func shown(_ model: Supercluster) -> [String] {
            model.servers.map { server in
                let links = (server.outbound + server.inbound).map { "\($0.gid)>\($0.remoteServerName ?? "-")@\($0.remoteServerPosition.value ?? -1)" }
                return "\(server.cluster)/\(server.name) \(server.id ?? "-") polled=\(server.polled) up=\(server.reachable) \(links)"
            }
        }
        let beyond: [(id: String, name: String?)] = [(a2.id, "a2-by-route"), ("A9", "a9")]
        let plain = model { $0 == 0 ? beyond : [] }
        // Every answering server routed to under its own name, another name and none, from every server.
        let crowded = model { index in
            servers.indices.filter { $0 != index }.flatMap { other -> [(id: String, name: String?)] in
                [(servers[other].id, servers[other].name), (servers[other].id, "renamed-\(other)"), (servers[other].id, nil)]
            } + (index == 0 ? beyond : [])
        }
        #expect(shown(crowded) == shown(plain))
        #expect(crowded.server(id: "A9")?.name == "a9", "named only by a route")
        #expect(crowded.server(id: "A9")?.polled == false)
        #expect(crowded.server(id: "B1")?.inbound.first { $0.remoteServerID == "A2" }?.remoteServerName == "a2-by-route",
                "a route names a2 while its endpoint fails")
        #expect(crowded.servers.filter { $0.name.hasPrefix("renamed") }.isEmpty)
    }

    @Test func namesResolveThroughPolledVarz() {
        let model = SuperclusterBuilder.build(poll: poll(1, at: 1000, healthyTwoClusters()), previous: nil)
        #expect(model.server(id: "A1")?.outbound.first?.remoteServerName == "b1")
        #expect(model.server(id: "B1")?.inbound.map(\.remoteServerName) == ["a1", "a2"])
    }
}

/// The diagnosis over snapshots recorded from real 2.15.1 and 2.9.10 servers.
@Suite struct RecordedTopologyTests {
    func model(_ topology: String) throws -> (Supercluster, [Problem]) {
        let first = SuperclusterBuilder.build(poll: try Fixtures.poll(topology: topology, number: 1), previous: nil)
        let second = SuperclusterBuilder.build(poll: try Fixtures.poll(topology: topology, number: 2), previous: first)
        return (second, MeshDiagnosis.diagnose(second, previous: first))
    }

    @Test func healthyRecordingOnlyReportsTheImplicitGateway() throws {
        let (model, problems) = try model("healthy")
        #expect(model.clusters.map(\.name) == ["central", "east", "west"])
        #expect(model.servers.count == 5)
        #expect(model.servers.allSatisfy { $0.reachable })
        // c1 is the only central server and does not configure west: the link exists only through gossip.
        #expect(problems.map(\.kind) == [.implicitGateway, .implicitOnlyCluster])
        #expect(problems.allSatisfy { $0.severity == .info && $0.server == "c1" && $0.remoteCluster == "west" })
        let summary = MeshSummary(model, problems: problems)
        #expect(summary.outboundUp == 10 && summary.outboundExpected == 10)
    }

    @Test func recordedTrafficGivesTheGeneratorsRate() throws {
        let (model, _) = try model("healthy")
        // The recording's traffic generator publishes 50 msgs/s east → west and 20 msgs/s west → central.
        let eastToWest = try #require(model.pairs.first { $0.from == "east" && $0.to == "west" })
        #expect(abs(eastToWest.sentMsgsPerSecond - 50) < 3, "\(eastToWest)")
        #expect(abs(eastToWest.receivedMsgsPerSecond - 50) < 3, "\(eastToWest)")
        let westToCentral = try #require(model.pairs.first { $0.from == "west" && $0.to == "central" })
        #expect(abs(westToCentral.sentMsgsPerSecond - 20) < 2, "\(westToCentral)")
    }

    @Test func recordedGidsMatchTheServerLogs() throws {
        let (model, _) = try model("healthy")
        for server in model.servers {
            let log = String(decoding: try Fixtures.data("healthy/gid-lines/\(server.name).txt"), as: UTF8.self)
            for link in server.outbound + server.inbound {
                #expect(log.contains("\(link.logToken) "), "\(server.name) \(link.logToken) not in its log")
            }
        }
    }

    @Test func brokenRecordingNamesEveryFault() throws {
        let (model, problems) = try model("broken")
        let kinds = Set(problems.map(\.kind))
        #expect(kinds.isSuperset(of: [.missingOutbound, .missingInbound, .implicitGateway]))
        // Every running server lacks ghost (configured, never runs); all but s1 lack south (authentication fails).
        let missing = problems.filter { $0.kind == .missingOutbound }
        #expect(Set(missing.filter { $0.remoteCluster == "ghost" }.compactMap(\.server)) == ["e1", "e2", "w1", "w2", "c1", "s1"])
        #expect(Set(missing.filter { $0.remoteCluster == "south" }.compactMap(\.server)) == ["e1", "e2", "w1", "w2", "c1"])
        #expect(missing.allSatisfy { $0.severity == .critical })
        let inbound = problems.filter { $0.kind == .missingInbound && $0.cluster == "south" }
        #expect(Set(inbound.compactMap(\.remoteCluster)) == ["east", "west", "central"])
        #expect(model.cluster(named: "ghost")?.servers.isEmpty == true)
        #expect(!problems.contains { $0.kind == .endpointUnreachable })
    }
}

@Suite struct ExpectedRemotesTests {
    /// What the expected and missing remotes mean, as sets: the merge of sorted lists that computes them
    /// must give the same whatever order (and repeats) a hand-made model holds its lists in.
    @Test func expectedAndMissingRemotesAreTheSetsWhateverTheOrderOfTheLists() {
        let servers = [
            ServerSpec(id: "A1", name: "a1", cluster: "a", configured: ["e", "b", "c", "a", "b"], outbound: [
                LinkSpec(cluster: "d", gid: 4, remoteID: "D1"), LinkSpec(cluster: "b", gid: 2, remoteID: "B1"),
                LinkSpec(cluster: "c", gid: 3, remoteID: "C1", rtt: 0, uptime: 1),  // just opened: not yet working
                LinkSpec(cluster: "b", gid: 5, remoteID: "B1"),
            ]),
            ServerSpec(id: "B1", name: "b1", cluster: "b", configured: ["a"]),
        ]
        var model = SuperclusterBuilder.build(poll: poll(1, at: 1000, servers), previous: nil)
        func reference(_ model: Supercluster, _ server: ServerNode) -> (expected: [String], missing: [String]) {
            let expected = Set(model.knownClusters).union(server.configuredRemotes).subtracting([server.cluster, "(unknown)"])
            let working = Set(server.outbound.filter { !$0.isUnconfirmed(grace: DiagnosisThresholds().asymmetryGraceSeconds) }.map(\.remoteCluster))
            return (expected.sorted(), expected.subtracting(working).sorted())
        }
        let sorted = model.server(id: "A1")!
        #expect(sorted.configuredRemotes == ["b", "c", "e"], "sorted, each once, without its own cluster")
        #expect(model.expectedRemotes(for: sorted) == ["b", "c", "d", "e"])
        #expect(model.missingOutbound(for: sorted) == ["c", "e"])

        // The same model with every list out of order and repeated.
        model.knownClusters = ["e", "(unknown)", "b", "a", "d", "b", "c"]
        var shuffled = sorted
        shuffled.configuredRemotes = ["e", "c", "e", "b"]
        shuffled.outbound.reverse()
        for server in [sorted, shuffled] {
            let (expected, missing) = reference(model, server)
            #expect(model.expectedRemotes(for: server) == expected)
            #expect(model.missingOutbound(for: server) == missing)
        }
        #expect(model.missingOutbound(for: shuffled) == ["c", "e"])
        #expect(model.expectedRemotes(for: model.server(id: "B1")!) == ["a", "c", "d", "e"])
    }
}
