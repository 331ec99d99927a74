import MonitorModel
import Testing
@testable import Topology

@Suite struct ConfigAuditTests {
    func audit(_ servers: [ServerSpec], at now: Double = 1001) -> [Problem] {
        let model = SuperclusterBuilder.build(poll: poll(1, at: now, servers), previous: nil)
        return ConfigAudit.audit(model)
    }

    @Test func consistentMeshHasNoFindings() {
        #expect(audit(healthyTwoClusters()).isEmpty)
    }

    @Test func serversOfOneClusterConfiguringDifferentGateways() {
        var servers = healthyTwoClusters()
        servers.append(ServerSpec(id: "C1", name: "c1", cluster: "c", configured: ["a", "b"],
                                  outbound: [LinkSpec(cluster: "a", gid: 41, remoteID: "A1"), LinkSpec(cluster: "b", gid: 42, remoteID: "B1")]))
        servers[0].configured = ["b", "c"]
        servers[1].configured = ["b"]
        servers.append(ServerSpec(id: "A3", name: "a3", cluster: "a", configured: ["b", "c"]))
        let problems = audit(servers).filter { $0.kind == .gatewayConfigMismatch }
        #expect(problems.map(\.message) == ["a2 (a) configures gateways to [b] but a1, a3 configure [b, c]"])
        #expect(problems.first?.severity == .warning && problems.first?.server == "a2")
    }

    @Test func twoServersTwoListsReportsBoth() {
        var servers = healthyTwoClusters()
        servers[1].configured = ["b", "c"]
        let problems = audit(servers).filter { $0.kind == .gatewayConfigMismatch }
        #expect(problems.map(\.message) == [
            "a1 (a) configures gateways to [b] but a2 configures [b, c]",
            "a2 (a) configures gateways to [b, c] but a1 configures [b]",
        ])
    }

    @Test func rejectUnknownDifferingInsideACluster() {
        var servers = healthyTwoClusters()
        servers[0].rejectUnknown = true
        servers[1].rejectUnknown = false
        servers.append(ServerSpec(id: "A3", name: "a3", cluster: "a", configured: ["b"], rejectUnknown: false))
        let problems = audit(servers).filter { $0.kind == .gatewayConfigMismatch }
        #expect(problems.map(\.message) == ["a1 (a) has reject_unknown_cluster true while the rest of a has false"])
    }

    @Test func gatewayNameDifferentFromClusterName() {
        var servers = healthyTwoClusters()
        servers[2].clusterSectionName = "bee"
        let problems = audit(servers).filter { $0.kind == .gatewayNameMismatch }
        #expect(problems.first?.severity == .critical)
        #expect(problems.contains { $0.message == "b1 (b) has gateway name b but cluster name bee" })
    }

    @Test func oneGatewayNameClaimedByTwoClusters() {
        var servers = healthyTwoClusters()
        servers[1].clusterSectionName = "a-prime"
        let problems = audit(servers).filter { $0.kind == .gatewayNameMismatch && $0.message.hasPrefix("gateway name a is claimed") }
        #expect(problems.count == 2)
        #expect(problems.first?.message == "gateway name a is claimed by clusters a, a-prime (a1 is in a)")
    }

    @Test func rejectUnknownExplainsMissingLinks() {
        var servers = healthyTwoClusters()
        // c is known (it dials a), but b rejects unknown clusters and does not list c.
        servers.append(ServerSpec(id: "C1", name: "c1", cluster: "c", configured: ["a", "b"],
                                  outbound: [LinkSpec(cluster: "a", gid: 41, remoteID: "A1")]))
        servers[2].rejectUnknown = true
        let problems = audit(servers).filter { $0.kind == .unknownClusterRejected }
        #expect(problems.count == 1)
        #expect(problems.first?.message == "b rejects unknown clusters and does not list c: this explains c1 having no outbound to b and b1 having no outbound to c")
        #expect(problems.first?.server == "b1" && problems.first?.remoteCluster == "c")
    }

    @Test(arguments: [(20.0, nil as Severity?), (10.0, .warning), (1.0, .critical), (-3.0, .critical)])
    func certificateExpiry(days: Double, expected: Severity?) {
        var servers = healthyTwoClusters()
        servers[2].certificateNotAfter = MonitorTime(timeIntervalSince1970: 1001 + days * 86400)
        let problems = audit(servers).filter { $0.kind == .gatewayCertExpiring }
        #expect(problems.first?.severity == expected)
        if days < 0 { #expect(problems.first?.message.contains("expired 3d0h ago") == true) }
        if days == 10 { #expect(problems.first?.message.hasPrefix("b1 (b) gateway TLS certificate expires in 10d0h") == true) }
    }

    @Test func peersReachingAServerThroughAnotherAddressWithoutAdvertise() {
        var servers = healthyTwoClusters()
        servers[0].outbound[0].ip = "10.9.9.9"  // a load balancer in front of b1
        servers[0].outbound[0].port = 443
        let problems = audit(servers).filter { $0.kind == .advertiseMismatch }
        #expect(problems.map(\.message) == [
            "a1 (a) reaches b1 (b) at 10.9.9.9:443, not at its gateway address 127.0.0.1:7222, and b1 sets no advertise: "
                + "gossip gives peers an address they may not reach (load balancer or NAT)",
        ])
        #expect(problems.first?.server == "b1" && problems.first?.remoteCluster == "a")
        servers[2].advertise = "lb.example:443"
        #expect(audit(servers).filter { $0.kind == .advertiseMismatch }.isEmpty, "an advertised address explains it")
    }

    /// A listen address that is an IP is compared whole: the right port at another IP is still another
    /// address (a NAT in front of b1), found once whichever of the servers dialling b1 meets it.
    @Test func theRightPortAtAnotherIPIsAMismatch() {
        var servers = healthyTwoClusters()
        servers[0].outbound[0].ip = "10.0.0.7"
        servers[1].outbound[0].ip = "10.0.0.7"
        let problems = audit(servers).filter { $0.kind == .advertiseMismatch }
        #expect(problems.map(\.message) == ["a1", "a2"].map {
            "\($0) (a) reaches b1 (b) at 10.0.0.7:7222, not at its gateway address 127.0.0.1:7222, and b1 sets no advertise: "
                + "gossip gives peers an address they may not reach (load balancer or NAT)"
        })
    }

    @Test func wildcardListenAddressesCompareThePortOnly() {
        var servers = healthyTwoClusters()
        servers[2].listenHost = "0.0.0.0"
        servers[0].outbound[0].ip = "10.0.0.7"
        #expect(audit(servers).filter { $0.kind == .advertiseMismatch }.isEmpty)
        servers[0].outbound[0].port = 8443
        #expect(audit(servers).filter { $0.kind == .advertiseMismatch }.count == 1)
    }

    @Test func clusterReachableOnlyThroughGossip() {
        var servers = healthyTwoClusters()
        for index in 0..<2 {
            servers[index].configured = []
            servers[index].outbound[0].configured = false
        }
        let problems = audit(servers).filter { $0.kind == .implicitOnlyCluster }
        #expect(problems.map(\.message) == [
            "a reaches b only through gossip (no a server configures it): one restart away from losing it once connect_retries runs out",
        ])
        #expect(problems.first?.severity == .info)
    }

    @Test func ipLiterals() {
        #expect(ConfigAudit.isIPLiteral("10.1.2.3") && !ConfigAudit.isIPLiteral("gw.example") && ConfigAudit.isIPLiteral("::1"))
    }
}
