/// The gateway configuration as each server reports it (`/varz` `gateway`), checked for what does not
/// fit together across the supercluster. Pure, like the mesh diagnosis it complements.
public enum ConfigAudit {
    public static func audit(_ model: Supercluster, thresholds: DiagnosisThresholds = DiagnosisThresholds()) -> [Problem] {
        audit(MeshDiagnosis.Context(current: model, previous: nil, thresholds: thresholds))
    }

    /// The audit on the diagnosis's context, whose servers' connections already know their far ends.
    static func audit(_ context: MeshDiagnosis.Context) -> [Problem] {
        var problems: [Problem] = []
        let model = context.current
        let thresholds = context.thresholds
        let servers = context.servers
        let reachable = servers.filter { $0.reachable && $0.gateway?.name != nil }
        var missingCache: [String: Set<String>] = [:]
        /// Missing outbound gateways per server, computed once however many clusters ask.
        func missing(_ server: ServerNode) -> Set<String> {
            let key = server.id ?? server.url ?? server.name
            if let known = missingCache[key] { return known }
            let value = Set(model.missingOutbound(for: server))
            missingCache[key] = value
            return value
        }
        let byCluster = Dictionary(grouping: reachable, by: \.cluster)
        func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }

        // Servers of one cluster that configure different remote gateways, or differ on reject_unknown.
        for (cluster, servers) in byCluster.sorted(by: { $0.key < $1.key }) where servers.count > 1 {
            // The odd ones out are reported; with no majority (two servers, two lists) every server is.
            let counts = Dictionary(servers.map { ($0.configuredRemotes, 1) }, uniquingKeysWith: +)
            let top = counts.values.max() ?? 0
            let majority = counts.filter { $0.value == top }.count == 1 ? counts.first { $0.value == top }?.key : nil
            if counts.count > 1 {
                for server in servers.sorted(by: { $0.name < $1.name }) where server.configuredRemotes != majority {
                    let reference = majority ?? servers.first { $0.configuredRemotes != server.configuredRemotes }!.configuredRemotes
                    let others = servers.filter { $0.configuredRemotes == reference }.map(\.name).sorted()
                    problems.append(Problem(
                        .warning, .gatewayConfigMismatch, cluster: cluster, server: server.name, url: server.url,
                        message: "\(MeshDiagnosis.label(server)) configures gateways to [\(list(server.configuredRemotes))] but "
                            + "\(list(others)) \(others.count == 1 ? "configures" : "configure") [\(list(reference))]"))
                }
            }
            let rejects = servers.map { $0.gateway?.rejectUnknown ?? false }
            if Set(rejects).count > 1 {
                let commonReject = rejects.filter { $0 }.count * 2 > rejects.count
                for server in servers where (server.gateway?.rejectUnknown ?? false) != commonReject {
                    problems.append(Problem(
                        .warning, .gatewayConfigMismatch, cluster: cluster, server: server.name, url: server.url,
                        message: "\(MeshDiagnosis.label(server)) has reject_unknown_cluster \(!commonReject) while the rest of \(cluster) "
                            + "has \(commonReject)"))
                }
            }
        }

        // Gateway name against the cluster name, and one gateway name claimed by two clusters.
        for server in reachable {
            if let gatewayName = server.gateway?.name, let clusterName = server.clusterSectionName, gatewayName != clusterName {
                problems.append(Problem(
                    .critical, .gatewayNameMismatch, cluster: server.cluster, server: server.name, url: server.url,
                    message: "\(MeshDiagnosis.label(server)) has gateway name \(gatewayName) but cluster name \(clusterName)"))
            }
        }
        for (gatewayName, servers) in Dictionary(grouping: reachable, by: { $0.gateway?.name ?? "" }) where !gatewayName.isEmpty {
            let clusterNames = Set(servers.compactMap(\.clusterSectionName))
            guard clusterNames.count > 1 else { continue }
            for server in servers.sorted(by: { $0.name < $1.name }) {
                problems.append(Problem(
                    .critical, .gatewayNameMismatch, cluster: server.cluster, server: server.name, url: server.url,
                    message: "gateway name \(gatewayName) is claimed by clusters \(list(clusterNames.sorted())) "
                        + "(\(server.name) is in \(server.clusterSectionName ?? "?"))"))
            }
        }

        // reject_unknown_cluster explaining missing links to clusters the rejecting cluster does not list.
        for (cluster, servers) in byCluster.sorted(by: { $0.key < $1.key })
        where servers.contains(where: { $0.gateway?.rejectUnknown == true }) {
            let listed = Set(servers.flatMap(\.configuredRemotes))
            for other in model.knownClusters where other != cluster && !listed.contains(other) {
                let otherServers = byCluster[other] ?? []
                let inboundMissing = otherServers.filter { missing($0).contains(cluster) }.map(\.name).sorted()
                let outboundMissing = servers.filter { missing($0).contains(other) }.map(\.name).sorted()
                guard !inboundMissing.isEmpty || !outboundMissing.isEmpty else { continue }
                let rejecting = servers.first { $0.gateway?.rejectUnknown == true }!
                problems.append(Problem(
                    .warning, .unknownClusterRejected, cluster: cluster, server: rejecting.name, remoteCluster: other,
                    url: rejecting.url,
                    message: "\(cluster) rejects unknown clusters and does not list \(other): this explains "
                        + (inboundMissing.isEmpty ? "" : "\(list(inboundMissing)) having no outbound to \(cluster)")
                        + (inboundMissing.isEmpty || outboundMissing.isEmpty ? "" : " and ")
                        + (outboundMissing.isEmpty ? "" : "\(list(outboundMissing)) having no outbound to \(other)")))
            }
        }

        // Gateway certificates close to expiry (2.14+ reports tls_cert_not_after).
        for server in reachable {
            guard let notAfter = server.gateway?.tlsCertNotAfter else { continue }
            let days = notAfter.seconds(since: model.time) / 86400
            guard days < thresholds.certificateWarningDays else { continue }
            let severity: Severity = days < thresholds.certificateCriticalDays ? .critical : .warning
            let when = days < 0 ? "expired \(Units.duration(-days * 86400)) ago" : "expires in \(Units.duration(days * 86400))"
            problems.append(Problem(
                severity, .gatewayCertExpiring, cluster: server.cluster, server: server.name, url: server.url,
                message: "\(MeshDiagnosis.label(server)) gateway TLS certificate \(when) (not after \(notAfter.rfc3339))"))
        }

        // Peers reach a server through some other address (a load balancer, NAT) while it advertises
        // nothing: gossip then hands every peer its listen address, which they may not be able to reach.
        // Each remote server's gateway address is worked out once, not once per connection to it: nil
        // when there is nothing to compare (not answering, no gateway, an advertise set, no port).
        struct ListenAddress {
            let host: String
            let port: Int
            /// A wildcard or a host name cannot be compared with the dialled IP; the port still can.
            let hostComparable: Bool
        }
        var listenAddresses = [ListenAddress??](repeating: nil, count: servers.count)  // outer nil: not yet worked out
        func listenAddress(_ position: Int) -> ListenAddress? {
            if let known = listenAddresses[position] { return known }
            var address: ListenAddress?
            if servers[position].reachable, let gateway = servers[position].gateway, (gateway.advertise ?? "").isEmpty,
                let port = gateway.port
            {
                let host = gateway.host ?? ""
                address = ListenAddress(
                    host: host, port: port, hostComparable: isIPLiteral(host) && !["0.0.0.0", "::", "[::]"].contains(host))
            }
            listenAddresses[position] = .some(address)
            return address
        }
        for dialerPosition in servers.indices where servers[dialerPosition].reachable && servers[dialerPosition].gateway?.name != nil {
            let dialer = servers[dialerPosition]
            // By index: copying each of 25,000 links would cost more than the check.
            for index in dialer.outbound.indices {
                guard let position = context.outboundRemotes[dialerPosition][index], let address = listenAddress(position),
                    let ip = dialer.outbound[index].ip, let port = dialer.outbound[index].port
                else { continue }
                guard port != address.port || (address.hostComparable && ip != address.host) else { continue }
                let remote = servers[position]
                let listenHost = address.host
                problems.append(Problem(
                    .warning, .advertiseMismatch, cluster: remote.cluster, server: remote.name,
                    remoteCluster: dialer.cluster, url: remote.url,
                    message: "\(MeshDiagnosis.label(dialer)) reaches \(MeshDiagnosis.label(remote)) at \(ip):\(port), not at its gateway "
                        + "address \(listenHost.isEmpty ? "?" : listenHost):\(address.port), and \(remote.name) sets no advertise: "
                        + "gossip gives peers an address they may not reach (load balancer or NAT)"))
            }
        }

        // A cluster another one reaches only through gossip: every server's (first) outbound to it was
        // learned, none configured. One pass over each server's connections, none of them copied.
        for (from, servers) in byCluster.sorted(by: { $0.key < $1.key }) {
            let configuredAnywhere = Set(servers.flatMap(\.configuredRemotes))
            var onlyLearned: [String: Bool] = [:]
            for server in servers {
                var seen = Set<String>(minimumCapacity: server.outbound.count)
                for index in server.outbound.indices {
                    let to = server.outbound[index].remoteCluster
                    guard seen.insert(to).inserted, !configuredAnywhere.contains(to) else { continue }
                    onlyLearned[to] = (onlyLearned[to] ?? true) && server.outbound[index].configured == false
                }
            }
            for (to, learned) in onlyLearned.sorted(by: { $0.key < $1.key }) where learned {
                problems.append(Problem(
                    .info, .implicitOnlyCluster, cluster: from, server: servers.first?.name, remoteCluster: to,
                    message: "\(from) reaches \(to) only through gossip (no \(from) server configures it): one restart "
                        + "away from losing it once connect_retries runs out"))
            }
        }
        return problems
    }

    static func isIPLiteral(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ Int($0).map { (0...255).contains($0) } ?? false }) { return true }
        return host.contains(":") && host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}
