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

/// The synthetic mesh's faults, for benchmarks and tests of a broken mesh at scale: gwtop must find each
/// one, say it once, and find nothing else.
@Suite struct SyntheticMeshFaultTests {
    let start = 1_800_000_000.0

    func mesh(faultsFrom from: Double) -> SyntheticMesh {
        let whole = SyntheticMesh(clusters: 10, serversPerCluster: 3, startedAt: start - 3600)
        let faults = SyntheticMesh.Faults(
            cutPairs: [.init(whole.cluster(named: "dc02")!, whole.cluster(named: "dc05")!)],
            downServers: [whole.server(named: "dc07-s2")!], from: from)
        return SyntheticMesh(clusters: 10, serversPerCluster: 3, startedAt: start - 3600, faults: faults)
    }

    /// kind, then the server (or cluster) and remote cluster each problem names.
    func described(_ problems: [Problem]) -> [String] {
        problems.map { "\($0.kind.rawValue) \($0.server ?? $0.cluster ?? "-") \($0.remoteCluster ?? "-")" }.sorted()
    }

    static let cutProblems = [
        "clusters_cut dc02 dc05", "missing_inbound dc02 dc05", "missing_inbound dc05 dc02",
        "missing_outbound dc02-s1 dc05", "missing_outbound dc02-s2 dc05", "missing_outbound dc02-s3 dc05",
        "missing_outbound dc05-s1 dc02", "missing_outbound dc05-s2 dc02", "missing_outbound dc05-s3 dc02",
    ]

    @Test func faultsFromTheStartAreFoundAndNothingElse() throws {
        let mesh = mesh(faultsFrom: start - 1800)
        let first = SuperclusterBuilder.build(poll: mesh.poll(at: start, sequence: 1), previous: nil)
        let second = SuperclusterBuilder.build(poll: mesh.poll(at: start + 1, sequence: 2), previous: first)
        let problems = MeshDiagnosis.diagnose(second, previous: first)
        let unreachable = problems.filter { $0.kind == .endpointUnreachable }
        #expect(unreachable.map(\.url) == ["http://127.0.0.1:18222/dc07-s2"])
        #expect(described(problems.filter { $0.kind != .endpointUnreachable }) == Self.cutProblems)

        // 29 servers up, each dialling the 9 other clusters but for the 6 cut links; every outbound is
        // some server's inbound, and none involves the server that is down.
        let up = second.servers.filter(\.reachable)
        #expect(up.count == 29)
        let outbound = up.flatMap(\.outbound), inbound = up.flatMap(\.inbound)
        #expect(outbound.count == 29 * 9 - 6 && inbound.count == outbound.count)
        let downID = mesh.serverID(mesh.server(named: "dc07-s2")!)
        #expect(!(outbound + inbound).contains { $0.remoteServerID == downID })
        let sent = outbound.reduce(0.0) { $0 + ($1.rates?.outMsgs ?? 0) }
        let received = inbound.reduce(0.0) { $0 + ($1.rates?.inMsgs ?? 0) }
        #expect(sent > 0 && abs(sent - received) < 0.01 * sent)
        // The servers that dialled dc07-s2 dialled another dc07 server when it went, half an hour ago.
        let redialled = outbound.filter { $0.remoteCluster == "dc07" && ($0.uptime ?? 0) < 1900 }
        #expect(redialled.count == 9)
        #expect(redialled.allSatisfy { ($0.uptime ?? 0) > 1700 && ["dc07-s1", "dc07-s3"].contains($0.remoteServerName ?? "") })
    }

    /// Faults that begin while gwtop watches: the poll they begin at says what went (the endpoint, the
    /// cut links, the re-dials), and from the next one on the problems are those of a mesh broken all along.
    @Test func faultsBeginningWhileWatchedAreEvents() throws {
        let mesh = mesh(faultsFrom: start + 10)
        let before = SuperclusterBuilder.build(poll: mesh.poll(at: start + 9, sequence: 1), previous: nil)
        #expect(MeshDiagnosis.diagnose(before, previous: nil).isEmpty)
        let beforeProblems = MeshDiagnosis.diagnose(before, previous: nil)
        let broken = SuperclusterBuilder.build(poll: mesh.poll(at: start + 10, sequence: 2), previous: before)
        let brokenProblems = MeshDiagnosis.diagnose(broken, previous: before)
        let events = MeshEventDetector.events(from: before, beforeProblems, to: broken, brokenProblems)
        func count(_ kind: MeshEvent.Kind) -> Int { events.filter { $0.kind == kind }.count }
        #expect(events.filter { $0.kind == .endpointDown }.map(\.url) == ["http://127.0.0.1:18222/dc07-s2"])
        // The cut: 6 outbound and 6 inbound connections; the server that went down: the 9 inbound it
        // had dialled (its own 9 outbound are not seen: it no longer answers).
        #expect(count(.gatewayDisconnected) == 6 + 6 + 9)
        // The 9 servers that had dialled it dialled another of dc07: 9 outbound reconnects, and those
        // dc07 servers each hold a new inbound.
        #expect(count(.gatewayReconnected) == 9)
        #expect(count(.gatewayConnected) == 9)
        #expect(brokenProblems.filter { $0.kind == .gatewayReconnected }.count == 9)

        let later = SuperclusterBuilder.build(poll: mesh.poll(at: start + 11, sequence: 3), previous: broken)
        let laterProblems = MeshDiagnosis.diagnose(later, previous: broken)
        #expect(laterProblems.filter { $0.kind == .endpointUnreachable }.map(\.url) == ["http://127.0.0.1:18222/dc07-s2"])
        #expect(described(laterProblems.filter { $0.kind != .endpointUnreachable }) == Self.cutProblems)
    }

    func problems(clusters: Int, servers: Int, cuts: [(String, String)]) -> [Problem] {
        let whole = SyntheticMesh(clusters: clusters, serversPerCluster: servers, startedAt: start - 3600)
        let pairs = Set(cuts.map { SyntheticMesh.ClusterPair(whole.cluster(named: $0.0)!, whole.cluster(named: $0.1)!) })
        let mesh = SyntheticMesh(
            clusters: clusters, serversPerCluster: servers, startedAt: start - 3600, faults: .init(cutPairs: pairs, from: start - 1800))
        let model = SuperclusterBuilder.build(poll: mesh.poll(at: start, sequence: 1), previous: nil)
        return MeshDiagnosis.diagnose(model, previous: nil)
    }

    /// One cluster cut off from all the others is said once, first, as what it is; not as 9 cut pairs.
    @Test func aClusterCutOffIsOneSplitListedFirst() throws {
        let others = ["dc01", "dc02", "dc04", "dc05", "dc06", "dc07", "dc08", "dc09", "dc10"]
        let problems = problems(clusters: 10, servers: 3, cuts: others.map { ("dc03", $0) })
        #expect(problems.first?.kind == .meshSplit && problems.first?.cluster == "dc03")
        #expect(problems.first?.message == "dc03 is cut off: no gateway to or from any of the other 9 clusters, though its 3 servers answer")
        #expect(problems.filter { $0.kind == .meshSplit }.count == 1 && !problems.contains { $0.kind == .clustersCut })
        // The evidence stays: each server's missing outbound gateways, 3 × 9 from dc03 and 27 × 1 to it.
        #expect(problems.filter { $0.kind == .missingOutbound }.count == 27 + 27)
    }

    /// Two halves with no gateway between them are one split naming both; a pair cut within a half is
    /// a cut pair of its own.
    @Test func halvesAreOneSplitAndAPairWithinAHalfIsCut() throws {
        let left = ["dc01", "dc02", "dc03"], right = ["dc04", "dc05", "dc06"]
        let across = left.flatMap { a in right.map { (a, $0) } }
        let problems = problems(clusters: 6, servers: 1, cuts: across + [("dc01", "dc02")])
        let roots = problems.prefix { $0.kind == .meshSplit || $0.kind == .clustersCut }
        #expect(roots.map(\.message) == [
            "the supercluster is split in 2 parts with no gateway between them: dc01, dc02, dc03 | dc04, dc05, dc06",
            "no gateway between dc01 and dc02, either way: none of dc01's 1 server reaches dc02, none of dc02's 1 server reaches dc01",
        ])
        #expect(problems.filter { $0.kind == .meshSplit || $0.kind == .clustersCut }.count == 2)
        // A healthy mesh has neither.
        #expect(self.problems(clusters: 6, servers: 1, cuts: []).isEmpty)
    }

    /// Two data centres whose gateways are down: a cut pair naming both, not one of them "cut off from
    /// the other 1 clusters".
    @Test func twoClustersCutApartAreACutPair() throws {
        let problems = problems(clusters: 2, servers: 2, cuts: [("dc01", "dc02")])
        #expect(!problems.contains { $0.kind == .meshSplit })
        let cut = problems.filter { $0.kind == .clustersCut }
        #expect(cut.map { "\($0.cluster ?? "") \($0.remoteCluster ?? "")" } == ["dc01 dc02"])
        #expect(problems.first?.kind == .clustersCut)
    }

    /// Connections that never answered a PING (no RTT, younger than the grace, not seen before) are no
    /// link: two clusters joined only by such are cut apart, as missing_outbound already counts them.
    @Test func connectionsThatNeverAnsweredAreNoLink() throws {
        let mesh = SyntheticMesh(clusters: 3, serversPerCluster: 1, startedAt: start - 3600)
        var model = SuperclusterBuilder.build(poll: mesh.poll(at: start, sequence: 1), previous: nil)
        #expect(MeshDiagnosis.diagnose(model, previous: nil).isEmpty)
        for c in model.clusters.indices where ["dc01", "dc02"].contains(model.clusters[c].name) {
            for s in model.clusters[c].servers.indices {
                for direction in [\ServerNode.outbound, \ServerNode.inbound] {
                    for l in model.clusters[c].servers[s][keyPath: direction].indices
                    where ["dc01", "dc02"].contains(model.clusters[c].servers[s][keyPath: direction][l].remoteCluster) {
                        model.clusters[c].servers[s][keyPath: direction][l].rtt = nil
                        model.clusters[c].servers[s][keyPath: direction][l].uptime = 1
                    }
                }
            }
        }
        let problems = MeshDiagnosis.diagnose(model, previous: nil)
        #expect(problems.filter { $0.kind == .clustersCut }.map { "\($0.cluster ?? "") \($0.remoteCluster ?? "")" } == ["dc01 dc02"],
                "\(problems.map(\.message))")
    }

    /// gwtop-synthetic's fault arguments: what they name, and an error naming what is wrong with each bad one.
    @Test func faultArgumentsAndTheirErrors() throws {
        let mesh = SyntheticMesh(clusters: 10, serversPerCluster: 3, startedAt: start - 3600)
        let faults = try mesh.faults(cuts: ["dc02:dc05", "dc03:*"], down: ["dc07-s2"], from: start)
        #expect(faults.from == start && faults.downServers == [SyntheticMesh.ServerRef(cluster: 6, index: 1)])
        #expect(faults.cutPairs.count == 1 + 9 && faults.cutPairs.contains(.init(4, 1)) && faults.cutPairs.contains(.init(9, 2)))
        func error(cuts: [String] = [], down: [String] = []) -> String {
            do {
                _ = try mesh.faults(cuts: cuts, down: down, from: start)
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(error(cuts: ["dc02"]) == "--cut dc02: expected two clusters as A:B, or A:* for all")
        #expect(error(cuts: ["dc02:dc05:dc06"]) == "--cut dc02:dc05:dc06: expected two clusters as A:B, or A:* for all")
        #expect(error(cuts: ["dc02:dc99"]) == "--cut dc02:dc99: no cluster dc99 in this mesh (dc01…dc10)")
        #expect(error(cuts: ["*:dc02"]) == "--cut *:dc02: no cluster * in this mesh (dc01…dc10)")
        #expect(error(cuts: ["dc2:dc05"]) == "--cut dc2:dc05: no cluster dc2 in this mesh (dc01…dc10)")
        #expect(error(cuts: ["dc02:dc02"]) == "--cut dc02:dc02: a cluster has no gateway to itself")
        #expect(error(down: ["dc01-s9"]) == "--down dc01-s9: no server dc01-s9 in this mesh (dc01-s1…dc10-s3)")
        #expect(error(down: ["east"]) == "--down east: no server east in this mesh (dc01-s1…dc10-s3)")
    }

    /// The rest of gwtop-synthetic's command line: each argument read, each bad one named with what it takes.
    @Test func commandLineAndItsErrors() throws {
        let options = try SyntheticOptions([
            "--clusters", "50", "--servers", "5", "--port", "0", "--urls", "/tmp/u", "--cut", "dc01:*", "--down", "dc02-s1",
            "--faults-after", "30",
        ])
        #expect(options.clusters == 50 && options.servers == 5 && options.port == 0 && options.urlsFile == "/tmp/u")
        #expect(options.cuts == ["dc01:*"] && options.downServers == ["dc02-s1"] && options.faultsAfter == 30 && !options.helpRequested)
        #expect(try SyntheticOptions(["-h"]).helpRequested && SyntheticOptions.usage.hasPrefix("usage: gwtop-synthetic"))
        #expect(try SyntheticOptions(["--help", "--bogus", "--clusters", "1"]).helpRequested, "the usage, whatever follows")
        func error(_ arguments: [String]) -> String {
            do {
                _ = try SyntheticOptions(arguments)
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(error(["--faults-after", "soon"]) == "--faults-after must be a number of seconds, 0 or more, got soon")
        #expect(error(["--faults-after", "-5"]) == "--faults-after must be a number of seconds, 0 or more, got -5")
        #expect(error(["--faults-after", "inf"]) == "--faults-after must be a number of seconds, 0 or more, got inf")
        #expect(error(["--faults-after"]) == "--faults-after needs a value")
        #expect(error(["--clusters", "1"]) == "--clusters must be a number in 2...500, got 1")
        #expect(error(["--servers", "many"]) == "--servers must be a number in 1...100, got many")
        #expect(error(["--port", "70000"]) == "--port must be a number in 0...65535, got 70000")
        #expect(error(["--cluster", "5"]) == "unknown argument --cluster")
    }

    /// A split comes before the cut pairs, whatever the clusters are called.
    @Test func aSplitIsListedBeforeCutPairs() throws {
        // dc01–dc02 cut within the larger part; dc06 cut off from everyone.
        let others = ["dc01", "dc02", "dc03", "dc04", "dc05"]
        let problems = problems(clusters: 6, servers: 1, cuts: others.map { ("dc06", $0) } + [("dc01", "dc02")])
        #expect(problems.prefix(2).map(\.kind) == [.meshSplit, .clustersCut], "\(problems.prefix(2).map(\.message))")
        #expect(problems.first?.message.hasPrefix("dc06 is cut off: no gateway to or from any of the other 5 clusters") == true)
    }
}
