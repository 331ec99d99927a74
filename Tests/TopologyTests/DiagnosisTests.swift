import MonitorModel
import Testing
@testable import Topology

func diagnose(_ servers: [ServerSpec], previous: [ServerSpec]? = nil, failures: [(url: String, group: String?, failure: EndpointFailure)] = [],
              thresholds: DiagnosisThresholds = DiagnosisThresholds()) -> (Supercluster, [Problem]) {
    let before = previous.map { SuperclusterBuilder.build(poll: poll(1, at: 1000, $0), previous: nil) }
    let model = SuperclusterBuilder.build(poll: poll(2, at: 1001, servers, failures: failures), previous: before)
    return (model, MeshDiagnosis.diagnose(model, previous: before, thresholds: thresholds))
}

@Suite struct DiagnosisRuleTests {
    @Test func healthyMeshHasNoProblems() {
        let (model, problems) = diagnose(healthyTwoClusters(), previous: healthyTwoClusters())
        #expect(problems.isEmpty, "\(problems.map(\.message))")
        let summary = MeshSummary(model, problems: problems)
        #expect(summary.outboundUp == 3 && summary.outboundExpected == 3)
    }

    /// Problems of one severity are listed by place in the tree's order: server s2's before s10's, and a
    /// server's missing outbound gateways by remote cluster, dc9 before dc10.
    @Test func problemsAreListedInTheTreesNaturalOrder() {
        let servers = ["s10", "s2", "s1"].map { name in
            ServerSpec(id: "ID-\(name)", name: name, cluster: "a", configured: ["dc10", "dc9"])
        }
        let (_, problems) = diagnose(servers, previous: servers)
        let missing = problems.filter { $0.kind == .missingOutbound }
        #expect(missing.map { "\($0.server ?? "")→\($0.remoteCluster ?? "")" }
            == ["s1→dc9", "s1→dc10", "s2→dc9", "s2→dc10", "s10→dc9", "s10→dc10"])
        // A strict weak order: no problem comes before itself, and of two, at most one comes first.
        for left in problems {
            #expect(!MeshDiagnosis.problemOrder(left, left))
            for right in problems { #expect(!(MeshDiagnosis.problemOrder(left, right) && MeshDiagnosis.problemOrder(right, left))) }
        }
    }

    @Test func unreachableEndpointIsCriticalAndSaysWhy() {
        let (model, problems) = diagnose(healthyTwoClusters(), failures: [
            ("http://c1:8222", "c", EndpointFailure(.refused, "connection refused"))
        ])
        let problem = problems.first { $0.kind == .endpointUnreachable }
        #expect(problem?.severity == .critical)
        #expect(problem?.message == "http://c1:8222 unreachable: connection refused")
        #expect(problem?.cluster == "c")
        // Its configured group makes "c" a cluster every server should reach.
        #expect(problems.filter { $0.kind == .missingOutbound && $0.remoteCluster == "c" }.count == 3)
        #expect(model.cluster(named: "c")?.servers.first?.reachable == false)
    }

    @Test func unreachableEndpointKeepsItsLastKnownIdentity() {
        var before = healthyTwoClusters()
        before.append(ServerSpec(id: "C1", name: "c1", cluster: "c"))
        let previous = SuperclusterBuilder.build(poll: poll(1, at: 1000, before), previous: nil)
        let current = SuperclusterBuilder.build(
            poll: poll(2, at: 1001, healthyTwoClusters(), failures: [("http://c1:8222", nil, EndpointFailure(.timeout, "timed out after 2s"))]),
            previous: previous)
        let node = current.server(id: "C1")
        #expect(node?.name == "c1")
        #expect(node?.cluster == "c")
        #expect(node?.reachable == false)
    }

    @Test func missingOutboundToConfiguredClusterThatNeverRuns() {
        var servers = healthyTwoClusters()
        servers[0].configured.append("ghost")
        let (_, problems) = diagnose(servers)
        let missing = problems.filter { $0.kind == .missingOutbound }
        #expect(missing.count == 3, "every server now expects ghost: \(missing.map(\.message))")
        let own = missing.first { $0.server == "a1" }
        #expect(own?.severity == .critical)
        #expect(own?.message == "a1 (a) has no outbound gateway to ghost (configured; no server of ghost seen)")
    }

    @Test func missingInboundWhenFewerConnectionsThanRemoteServers() {
        var servers = healthyTwoClusters()
        servers[2].inbound.removeLast()  // b1 loses the inbound from a2
        servers[1].outbound = []  // ...because a2 has no outbound to b
        let (_, problems) = diagnose(servers)
        let inbound = problems.filter { $0.kind == .missingInbound }
        #expect(inbound.count == 1)
        #expect(inbound.first?.severity == .warning)
        #expect(inbound.first?.message == "b holds 1 inbound gateway from a, expected 2 (one per a server)")
        #expect(problems.contains { $0.kind == .missingOutbound && $0.server == "a2" && $0.remoteCluster == "b" })
    }

    @Test func asymmetricLinkBothWays() {
        var servers = healthyTwoClusters()
        servers[2].inbound.removeLast()  // a2 → b1 exists on a2 only
        servers[0].inbound = []  // b1's outbound to a1 not held by a1
        let (_, problems) = diagnose(servers)
        let asymmetric = problems.filter { $0.kind == .asymmetricLink }.map(\.message).sorted()
        #expect(asymmetric == [
            "a2 (a) has outbound gid:21 to b1 (b), but b1 lists no inbound from a2",
            "b1 (b) has outbound gid:31 to a1 (a), but a1 lists no inbound from b1",
        ])
    }

    @Test func halfOpenInboundIsAsymmetric() {
        var servers = healthyTwoClusters()
        servers[1].outbound[0].remoteID = "B9"  // a2 now dials another server: b1 still holds the old inbound
        let (_, problems) = diagnose(servers)
        #expect(problems.contains {
            $0.kind == .asymmetricLink && $0.message == "b1 (b) holds inbound gid:33 from a2 (a), but a2 has no outbound to b1 (half-open?)"
        })
    }

    /// A server reached through a second URL while the one it answered at before fails: the failed
    /// endpoint keeps the server's id (where it was last seen), so two nodes share it. The links of the
    /// one that answers are still matched up: no asymmetry is made up.
    @Test func aServerWhoseOldURLFailsIsNotCalledAsymmetric() throws {
        var (model, before) = serverAnsweringAtASecondURL()
        // The two tie on name and id, so which comes first is the builder's choice: the failed one is put
        // first here, where an id lookup finds it.
        let b = try #require(model.clusters.firstIndex { $0.name == "b" })
        model.clusters[b].servers.sort { !$0.reachable && $1.reachable }
        #expect(model.clusters[b].servers.map { "\($0.id ?? "-") \($0.reachable)" } == ["B1 false", "B1 true"])
        let problems = MeshDiagnosis.diagnose(model, previous: before)
        #expect(!problems.contains { $0.kind == .asymmetricLink }, "\(problems.map(\.message))")
        #expect(problems.contains { $0.kind == .endpointUnreachable && $0.url == "http://b1:8222" })
    }

    @Test func youngLinksAreNotCalledAsymmetric() {
        var servers = healthyTwoClusters()
        servers[2].inbound.removeLast()
        servers[1].outbound[0].uptime = 1
        let (_, problems) = diagnose(servers)
        #expect(!problems.contains { $0.kind == .asymmetricLink })
    }

    @Test func reconnectIsDetectedFromNewGid() {
        var now = healthyTwoClusters()
        now[0].outbound[0].gid = 99
        now[2].inbound[0].gid = 98
        let (_, problems) = diagnose(now, previous: healthyTwoClusters())
        let reconnects = problems.filter { $0.kind == .gatewayReconnected }
        #expect(reconnects.count == 1, "the dialling side reports it once: \(reconnects.map(\.message))")
        #expect(reconnects.first?.message == "a1 (a) outbound to b reconnected: gid:11 replaced by gid:99")
        #expect(reconnects.first?.gid == 99)
    }

    @Test func inboundReconnectReportedWhenDiallerIsNotPolled() {
        var before = healthyTwoClusters()
        before.removeFirst()
        before.removeFirst()
        var now = before
        now[0].inbound[0].gid = 77
        let (_, problems) = diagnose(now, previous: before)
        #expect(problems.contains { $0.kind == .gatewayReconnected && $0.message == "b1 (b) inbound from server A1 (a) reconnected: gid:32 replaced by gid:77" })
    }

    @Test func thresholdsForPendingRttAndIdle() {
        var servers = healthyTwoClusters()
        servers[0].outbound[0].pending = 5 << 20
        servers[0].outbound[0].rtt = 0.450
        servers[0].outbound[0].idle = 300
        let (_, problems) = diagnose(servers)
        #expect(problems.first { $0.kind == .slowGateway }?.message == "a1 (a) outbound gid:11 to b1 (b) has 5.0MiB pending")
        #expect(problems.first { $0.kind == .highRTT }?.message == "a1 (a) outbound gid:11 to b1 (b) RTT 450ms")
        #expect(problems.first { $0.kind == .staleGateway }?.message == "a1 (a) outbound gid:11 to b1 (b) idle for 5m0s")
        var relaxed = DiagnosisThresholds()
        relaxed.highRTTSeconds = 1
        relaxed.slowPendingBytes = 10 << 20
        relaxed.staleIdleSeconds = 600
        #expect(diagnose(servers, thresholds: relaxed).1.isEmpty)
    }

    @Test func implicitGatewayIsInfo() {
        var servers = healthyTwoClusters()
        servers[1].outbound[0].configured = false
        let (_, problems) = diagnose(servers)
        #expect(problems.map(\.kind) == [.implicitGateway])
        #expect(problems.first?.severity == .info)
    }

    @Test func duplicateServerNameIsCritical() {
        var servers = healthyTwoClusters()
        servers[1].name = "a1"
        let (_, problems) = diagnose(servers)
        let duplicate = problems.first { $0.kind == .duplicateServerName }
        #expect(duplicate?.severity == .critical)
        #expect(duplicate?.message == "server name a1 is used by 2 servers (ids A1, A2) in a")
    }

    @Test func unhealthyHealthzIsAWarning() {
        var servers = healthyTwoClusters()
        servers[2].healthy = false
        let (_, problems) = diagnose(servers)
        #expect(problems.map(\.message) == ["b1 (b) /healthz says unavailable: JetStream not current"])
    }

    @Test func problemsAreOrderedBySeverity() {
        var servers = healthyTwoClusters()
        servers[1].outbound[0].configured = false
        servers[0].configured.append("ghost")
        servers[0].outbound[0].rtt = 1
        let (_, problems) = diagnose(servers)
        let severities = problems.map(\.severity)
        #expect(severities == severities.sorted())
        #expect(severities.first == .critical && severities.last == .info)
    }
}

@Suite struct UnconfirmedLinkTests {
    /// Recorded from a 2.9.10 dialler whose gateway authentication fails: the outbound exists for a few
    /// milliseconds with RTT and uptime "0s" before the remote closes it.
    @Test func outboundWithoutPongInItsFirstSecondsDoesNotCount() {
        var servers = healthyTwoClusters()
        servers[1].outbound[0].rtt = 0
        servers[1].outbound[0].uptime = 0
        servers[2].inbound.removeLast()
        let (model, problems) = diagnose(servers)
        let missing = problems.filter { $0.kind == .missingOutbound }
        #expect(missing.map(\.message) == ["a2 (a) has no outbound gateway to b (gid:21 just opened, no PONG yet; configured)"])
        #expect(MeshSummary(model, problems: problems).outboundUp == 2)
    }

    @Test func aNewLinkIsConfirmedByTheNextPollWithTheSameGid() {
        var servers = healthyTwoClusters()
        servers[1].outbound[0].rtt = 0
        servers[1].outbound[0].uptime = 0.5
        let (_, problems) = diagnose(servers, previous: servers)
        #expect(!problems.contains { $0.kind == .missingOutbound }, "\(problems.map(\.message))")
    }

    @Test func zeroRttOnAnOldConnectionIsStillAConnection() {
        var servers = healthyTwoClusters()
        servers[1].outbound[0].rtt = 0
        let (_, problems) = diagnose(servers)
        #expect(problems.isEmpty)
    }
}
