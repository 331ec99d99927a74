import Foundation
import TestSupport
import Testing

/// The configuration audit on real servers (2.15.1 and 2.9.10) whose gateway blocks deliberately do not
/// fit together: see the `misconfigured` topology in scripts/supercluster.py and its manifest notes.
@Suite(.serialized, .enabled(if: LocalSupercluster.shouldRun, "nats-server binaries not installed (CI=true never skips)"))
struct ConfigAuditIntegrationTests {
    @Test func misconfiguredSuperclusterIsExplained() throws {
        let cluster = try LocalSupercluster(topology: "misconfigured", basePort: 24200)
        defer { cluster.stop() }
        let output = try GwtopBinary.run(["--once", "--format", "json", "--timeout", "2"] + cluster.monitorURLs)
        #expect(output.status == 0, "\(output.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let allProblems = json["problems"] as? [[String: Any]] ?? []
        func problems(_ kind: String) -> [[String: Any]] { allProblems.filter { $0["kind"] as? String == kind } }
        let servers = (json["clusters"] as? [[String: Any]] ?? []).flatMap { $0["servers"] as? [[String: Any]] ?? [] }
        func server(_ name: String) -> [String: Any]? { servers.first { $0["name"] as? String == name } }

        // east: e1 lists west, central and north; e2 only west. They also differ on reject_unknown_cluster.
        let mismatch = problems("gateway_config_mismatch")
        #expect(mismatch.allSatisfy { $0["cluster"] as? String == "east" && $0["severity"] as? String == "warning" })
        #expect(mismatch.contains { ($0["message"] as? String)?.hasPrefix("e2 (east) configures gateways to [west] but e1 configures [central, north, west]") == true },
                "\(mismatch)")
        #expect(mismatch.contains { ($0["message"] as? String)?.contains("reject_unknown_cluster") == true })

        // west rejects unknown clusters and does not list central: the explanation of the missing links.
        let rejected = problems("unknown_cluster_rejected")
        #expect(rejected.count == 1)
        #expect(rejected.first?["cluster"] as? String == "west" && rejected.first?["remote_cluster"] as? String == "central")
        #expect((rejected.first?["message"] as? String)?.contains("c1 having no outbound to west") == true, "\(rejected)")
        let missing = Set(problems("missing_outbound").map { "\($0["server"] as? String ?? "")→\($0["remote_cluster"] as? String ?? "")" })
        #expect(missing == ["c1→west", "w1→central", "w2→central"])
        // So central and west have no gateway between them either way: said once, as the cut pair it is,
        // before the missing gateways it explains; the rest of the mesh still joins them (no split).
        let cut = problems("clusters_cut")
        #expect(cut.map { "\($0["cluster"] as? String ?? "")|\($0["remote_cluster"] as? String ?? "")" } == ["central|west"], "\(cut)")
        #expect(cut.first?["message"] as? String
            == "no gateway between central and west, either way: none of central's 1 server reaches west, none of west's 2 servers reaches central")
        let kinds = allProblems.compactMap { $0["kind"] as? String }
        #expect((kinds.firstIndex(of: "clusters_cut") ?? .max) < (kinds.firstIndex(of: "missing_outbound") ?? -1), "\(kinds)")
        #expect(problems("mesh_split").isEmpty)

        // north reaches west only through gossip.
        let implicitOnly = problems("implicit_only_cluster")
        #expect(implicitOnly.contains { $0["cluster"] as? String == "north" && $0["remote_cluster"] as? String == "west" }, "\(implicitOnly)")

        // w2 and n1 (2.15.1) present certificates that expire in one day: critical.
        let expiring = problems("gateway_cert_expiring")
        #expect(Set(expiring.compactMap { $0["server"] as? String }) == ["w2", "n1"])
        #expect(expiring.allSatisfy { $0["severity"] as? String == "critical" })

        // The gateway configuration as each server reports it.
        let e1Config = try #require(server("e1")?["gateway_config"] as? [String: Any])
        #expect(e1Config["tls_required"] as? Bool == true && e1Config["tls_verify"] as? Bool == true)
        #expect(e1Config["reject_unknown_cluster"] as? Bool == true)
        #expect(e1Config["tls_cert_not_after"] is String, "2.15.1 reports the certificate expiry")
        #expect(Set((e1Config["remotes"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }) == ["west", "central", "north"])
        let e2Config = try #require(server("e2")?["gateway_config"] as? [String: Any])
        #expect(e2Config["tls_cert_not_after"] is NSNull, "2.9.10 does not report it")
        #expect(server("n1").flatMap { $0["gateway_config"] as? [String: Any] }?["advertise"] as? String != nil)
        // Every gateway connection is TLS.
        let connections = servers.flatMap { ($0["outbound"] as? [[String: Any]] ?? []) + ($0["inbound"] as? [[String: Any]] ?? []) }
        #expect(!connections.isEmpty && connections.allSatisfy { ($0["tls_version"] as? String)?.hasPrefix("1.") == true })

        // e2 reaches west through a TCP proxy (a load balancer) and w1 sets no advertise.
        let proxyAddress = "127.0.0.1:\(24200 + 38)"
        let advertise = problems("advertise_mismatch")
        #expect(advertise.count == 1, "\(advertise)")
        #expect(advertise.first?["server"] as? String == "w1" && advertise.first?["remote_cluster"] as? String == "east")
        #expect((advertise.first?["message"] as? String)?.hasPrefix("e2 (east) reaches w1 (west) at \(proxyAddress), not at its gateway address") == true,
                "\(advertise)")

        let check = try GwtopBinary.run(["--check", "--timeout", "2"] + cluster.monitorURLs)
        #expect(check.status == 2)
        #expect(check.stdout.contains("CRITICAL gateway_cert_expiring: w2 (west) gateway TLS certificate expires in"))
        #expect(check.stdout.contains("WARNING unknown_cluster_rejected: west rejects unknown clusters and does not list central"))
    }
}
