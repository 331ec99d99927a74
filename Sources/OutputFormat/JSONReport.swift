public import Topology
import MonitorModel

/// The `--format json` contract (documented in the README). Fields may be added, never renamed;
/// unknown values are `null`.
public enum JSONReport {
    /// `events`: the timeline so far, oldest first (live: since gwtop started; replay: up to the time shown).
    public static func render(_ model: Supercluster, problems: [Problem], events: [MeshEvent] = [], pretty: Bool = true) -> String {
        // Clusters hold nearly all of a big report (35 MB at 250 servers): each is serialized on its own,
        // side by side, at the depth it is written at (document → "clusters" → element).
        let clusters = Parallel.map(model.clusters) { cluster in
            JSONReport.cluster(cluster).serializedFragment(pretty: pretty, indent: 2)
        }
        return value(model, problems: problems, events: events, clusters: clusters.map { .fragment($0) }).serialized(pretty: pretty, ending: "\n")
    }

    public static func value(_ model: Supercluster, problems: [Problem], events: [MeshEvent] = []) -> JSONValue {
        value(model, problems: problems, events: events, clusters: model.clusters.map(cluster))
    }

    static func value(_ model: Supercluster, problems: [Problem], events: [MeshEvent], clusters: [JSONValue]) -> JSONValue {
        let summary = MeshSummary(model, problems: problems)
        return .object([
            ("time", .string(model.time.rfc3339)),
            ("status", .string(CheckReport.status(for: summary).rawValue)),
            ("summary", .object([
                ("clusters", .int(Int64(summary.clusters))),
                ("servers", .int(Int64(summary.serversTotal))),
                ("servers_polled", .int(Int64(summary.serversPolled))),
                ("servers_reachable", .int(Int64(summary.serversReachable))),
                ("outbound_up", .int(Int64(summary.outboundUp))),
                ("outbound_expected", .int(Int64(summary.outboundExpected))),
                ("critical", .int(Int64(summary.critical))),
                ("warning", .int(Int64(summary.warning))),
                ("info", .int(Int64(summary.info))),
            ])),
            ("clusters", .array(clusters)),
            ("cluster_pairs", .array(model.pairs.map(pair))),
            ("problems", .array(problems.map(problem))),
            ("events", .array(events.map(event))),
        ])
    }

    public static func event(_ event: MeshEvent) -> JSONValue {
        .object([
            ("time", .string(event.time.rfc3339)),
            ("kind", .string(event.kind.rawValue)),
            ("severity", .optional(event.severity?.rawValue)),
            ("cluster", .optional(event.cluster)),
            ("server", .optional(event.server)),
            ("remote_cluster", .optional(event.remoteCluster)),
            ("direction", .optional(event.direction?.rawValue)),
            ("url", .optional(event.url)),
            ("gid", .optional(event.gid)),
            ("previous_gid", .optional(event.previousGid)),
            ("message", .string(event.message)),
        ])
    }

    static func cluster(_ cluster: ClusterNode) -> JSONValue {
        .object([
            ("name", .string(cluster.name)),
            ("in_msgs_per_s", .optional(cluster.rates?.inMsgs)),
            ("out_msgs_per_s", .optional(cluster.rates?.outMsgs)),
            ("in_bytes_per_s", .optional(cluster.rates?.inBytes)),
            ("out_bytes_per_s", .optional(cluster.rates?.outBytes)),
            ("servers", .array(cluster.servers.map(server))),
        ])
    }

    static func server(_ server: ServerNode) -> JSONValue {
        .object([
            ("name", .string(server.name)),
            ("id", .optional(server.id)),
            ("url", .optional(server.url)),
            ("version", .optional(server.version)),
            ("reachable", .bool(server.reachable)),
            ("polled", .bool(server.polled)),
            ("error", .optional(server.failure?.message)),
            ("tls_insecure", .bool(server.insecureTLS)),
            ("health", .optional(server.health?.status)),
            ("configured_remotes", server.polled && server.reachable ? .array(server.configuredRemotes.map { .string($0) }) : .null),
            ("gateway_config", gatewayConfig(server)),
            ("in_msgs_per_s", .optional(server.rates?.inMsgs)),
            ("out_msgs_per_s", .optional(server.rates?.outMsgs)),
            ("in_bytes_per_s", .optional(server.rates?.inBytes)),
            ("out_bytes_per_s", .optional(server.rates?.outBytes)),
            ("outbound", .array(server.outbound.map { connection($0, accounts: server.accounts(of: $0)) })),
            ("inbound", .array(server.inbound.map { connection($0, accounts: server.accounts(of: $0)) })),
        ])
    }

    /// The gateway block as the server reports it in `/varz`; credentials inside URLs are removed.
    static func gatewayConfig(_ server: ServerNode) -> JSONValue {
        guard server.reachable, let gateway = server.gateway else { return .null }
        return .object([
            ("name", .optional(gateway.name)),
            ("cluster_name", .optional(server.clusterSectionName)),
            ("host", .optional(gateway.host)),
            ("port", .optional(gateway.port)),
            ("advertise", .optional(gateway.advertise.flatMap { $0.isEmpty ? nil : $0 })),
            ("connect_retries", .optional(gateway.connectRetries)),
            ("reject_unknown_cluster", .optional(gateway.rejectUnknown)),
            ("auth_timeout_s", .optional(gateway.authTimeout)),
            ("tls_timeout_s", .optional(gateway.tlsTimeout)),
            ("tls_required", .optional(gateway.tlsRequired)),
            ("tls_verify", .optional(gateway.tlsVerify)),
            ("tls_cert_not_after", .optional(gateway.tlsCertNotAfter?.rfc3339)),
            ("remotes", .array(gateway.gateways.filter { $0.name != server.cluster }.map { remote in
                .object([
                    ("name", .string(remote.name)),
                    ("urls", .array(remote.urls.map { .string(CredentialRedaction.redactUserInfo($0)) })),
                ])
            })),
        ])
    }

    static func connection(_ link: GatewayLink, accounts: [AccountInterest]) -> JSONValue {
        .object([
            ("remote_cluster", .string(link.remoteCluster)),
            ("gid", .uint(link.gid)),
            ("remote_id", .optional(link.remoteServerID)),
            ("remote_name", .optional(link.remoteServerName)),
            ("configured", .optional(link.configured)),
            ("ip", .optional(link.ip)),
            ("port", .optional(link.port)),
            ("rtt_ms", .optional(link.rtt.map { $0 * 1000 })),
            ("uptime_s", .optional(link.uptime)),
            ("idle_s", .optional(link.idle)),
            ("pending_bytes", .int(link.pendingBytes)),
            ("in_msgs", .int(link.inMsgs)),
            ("out_msgs", .int(link.outMsgs)),
            ("in_bytes", .int(link.inBytes)),
            ("out_bytes", .int(link.outBytes)),
            ("in_msgs_per_s", .optional(link.rates?.inMsgs)),
            ("out_msgs_per_s", .optional(link.rates?.outMsgs)),
            ("in_bytes_per_s", .optional(link.rates?.inBytes)),
            ("out_bytes_per_s", .optional(link.rates?.outBytes)),
            ("subscriptions", .int(link.subscriptions)),
            ("tls_version", .optional(link.tlsVersion)),
            ("accounts", .array(accounts.map { account in
                .object([
                    ("name", .string(account.name)),
                    ("interest_mode", .optional(account.interestMode)),
                    ("num_subs", .optional(account.numSubs)),
                    ("num_queue_subs", .optional(account.numQueueSubs)),
                ])
            })),
        ])
    }

    static func pair(_ pair: ClusterPairTraffic) -> JSONValue {
        .object([
            ("from", .string(pair.from)),
            ("to", .string(pair.to)),
            ("sent_msgs_per_s", .double(pair.sentMsgsPerSecond)),
            ("sent_bytes_per_s", .double(pair.sentBytesPerSecond)),
            ("received_msgs_per_s", .double(pair.receivedMsgsPerSecond)),
            ("received_bytes_per_s", .double(pair.receivedBytesPerSecond)),
        ])
    }

    static func problem(_ problem: Problem) -> JSONValue {
        .object([
            ("severity", .string(problem.severity.rawValue)),
            ("kind", .string(problem.kind.rawValue)),
            ("cluster", .optional(problem.cluster)),
            ("server", .optional(problem.server)),
            ("remote_cluster", .optional(problem.remoteCluster)),
            ("url", .optional(problem.url)),
            ("gid", .optional(problem.gid)),
            ("message", .string(problem.message)),
        ])
    }
}
