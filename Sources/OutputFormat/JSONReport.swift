public import Topology
import MonitorModel

/// The `--format json` contract (documented in the README). Fields may be added, never renamed;
/// unknown values are `null`.
public enum JSONReport {
    /// `events`: the timeline so far, oldest first (live: since gwtop started; replay: up to the time shown).
    public static func render(_ model: Supercluster, problems: [Problem], events: [MeshEvent] = [], pretty: Bool = true) -> String {
        var bytes: [UInt8] = []
        let chunks = renderChunks(model, problems: problems, events: events, pretty: pretty)
        bytes.reserveCapacity(chunks.reduce(0) { $0 + $1.count })
        for chunk in chunks { bytes.append(contentsOf: chunk) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The report and its newline in pieces, to be written out one after another: at 250 servers it is
    /// 35 MB, and joining it into one buffer, then a String, cost as much as writing it.
    public static func renderChunks(_ model: Supercluster, problems: [Problem], events: [MeshEvent] = [], pretty: Bool = true) -> [[UInt8]] {
        // Clusters hold nearly all of a big report: each is written on its own, side by side, at the depth
        // it takes in the document (document → "clusters" → element), and spliced in.
        let clusters = Parallel.map(model.clusters) { cluster in
            let connections = cluster.servers.reduce(0) { $0 + $1.outbound.count + $1.inbound.count }
            var writer = JSONWriter(pretty: pretty, depth: 2, reservingCapacity: 4096 + 1600 * connections)
            write(cluster, into: &writer)
            return writer.fragment()
        }
        let summary = MeshSummary(model, problems: problems)
        var writer = JSONWriter(pretty: pretty)
        writer.object { json in
            json.field("time", model.time.rfc3339)
            json.field("status", CheckReport.status(for: summary).rawValue)
            json.field("summary") { json in
                json.field("clusters", summary.clusters)
                json.field("servers", summary.serversTotal)
                json.field("servers_polled", summary.serversPolled)
                json.field("servers_reachable", summary.serversReachable)
                json.field("outbound_up", summary.outboundUp)
                json.field("outbound_expected", summary.outboundExpected)
                json.field("critical", summary.critical)
                json.field("warning", summary.warning)
                json.field("info", summary.info)
            }
            json.field("clusters", elements: clusters) { json, fragment in json.splice(fragment) }
            json.field("cluster_pairs", elements: model.pairs) { json, pair in write(pair, into: &json) }
            json.field("problems", elements: problems) { json, problem in write(problem, into: &json) }
            json.field("events", elements: events) { json, event in write(event, into: &json) }
        }
        return writer.finish(ending: "\n")
    }

    static func write(_ event: MeshEvent, into json: inout JSONWriter) {
        json.object { json in
            json.field("time", event.time.rfc3339)
            json.field("kind", event.kind.rawValue)
            json.field("severity", event.severity?.rawValue)
            json.field("cluster", event.cluster)
            json.field("server", event.server)
            json.field("remote_cluster", event.remoteCluster)
            json.field("direction", event.direction?.rawValue)
            json.field("url", event.url)
            json.field("gid", event.gid)
            json.field("previous_gid", event.previousGid)
            json.field("message", event.message)
        }
    }

    static func write(_ cluster: ClusterNode, into json: inout JSONWriter) {
        json.object { json in
            json.field("name", cluster.name)
            json.field("in_msgs_per_s", cluster.rates?.inMsgs)
            json.field("out_msgs_per_s", cluster.rates?.outMsgs)
            json.field("in_bytes_per_s", cluster.rates?.inBytes)
            json.field("out_bytes_per_s", cluster.rates?.outBytes)
            json.field("servers", elements: cluster.servers) { json, server in write(server, into: &json) }
        }
    }

    static func write(_ server: ServerNode, into json: inout JSONWriter) {
        json.object { json in
            json.field("name", server.name)
            json.field("id", server.id)
            json.field("url", server.url)
            json.field("version", server.version)
            json.field("reachable", server.reachable)
            json.field("polled", server.polled)
            json.field("error", server.failure?.message)
            json.field("tls_insecure", server.insecureTLS)
            json.field("health", server.health?.status)
            // Nothing is known of a server that did not answer (its `error` says why).
            if server.polled && server.reachable {
                // What it did not give (an optional endpoint, its accounts), with the reason: a script
                // otherwise sees only that routes or accounts are missing.
                json.field("partial_failures", elements: server.partialFailures) { json, failure in json.value(failure) }
                json.field("configured_remotes", elements: server.configuredRemotes) { json, remote in json.value(remote) }
            } else {
                json.field("partial_failures", nil as String?)
                json.field("configured_remotes", nil as String?)
            }
            json.member("gateway_config")
            writeGatewayConfig(of: server, into: &json)
            json.field("in_msgs_per_s", server.rates?.inMsgs)
            json.field("out_msgs_per_s", server.rates?.outMsgs)
            json.field("in_bytes_per_s", server.rates?.inBytes)
            json.field("out_bytes_per_s", server.rates?.outBytes)
            // By index: a link is a large struct, and 24,500 of them copied out cost more than their JSON.
            json.field("outbound", elements: server.outbound.indices) { json, index in
                write(server.outbound[index], accounts: server.accounts(of: server.outbound[index]), into: &json)
            }
            json.field("inbound", elements: server.inbound.indices) { json, index in
                write(server.inbound[index], accounts: server.accounts(of: server.inbound[index]), into: &json)
            }
        }
    }

    /// The gateway block as the server reports it in `/varz`; credentials inside URLs are removed.
    static func writeGatewayConfig(of server: ServerNode, into json: inout JSONWriter) {
        guard server.reachable, let gateway = server.gateway else { return json.null() }
        json.object { json in
            json.field("name", gateway.name)
            json.field("cluster_name", server.clusterSectionName)
            json.field("host", gateway.host)
            json.field("port", gateway.port)
            json.field("advertise", gateway.advertise.flatMap { $0.isEmpty ? nil : $0 })
            json.field("connect_retries", gateway.connectRetries)
            json.field("reject_unknown_cluster", gateway.rejectUnknown)
            json.field("auth_timeout_s", gateway.authTimeout)
            json.field("tls_timeout_s", gateway.tlsTimeout)
            json.field("tls_required", gateway.tlsRequired)
            json.field("tls_verify", gateway.tlsVerify)
            json.field("tls_cert_not_after", gateway.tlsCertNotAfter?.rfc3339)
            json.field("remotes", elements: gateway.gateways.filter { $0.name != server.cluster }) { json, remote in
                json.object { json in
                    json.field("name", remote.name)
                    json.field("urls", elements: remote.urls) { json, url in json.value(CredentialRedaction.redactUserInfo(url)) }
                }
            }
        }
    }

    static func write(_ link: GatewayLink, accounts: [AccountInterest], into json: inout JSONWriter) {
        json.object { json in
            json.field("remote_cluster", link.remoteCluster)
            json.field("gid", link.gid)
            json.field("remote_id", link.remoteServerID)
            json.field("remote_name", link.remoteServerName)
            json.field("configured", link.configured)
            json.field("ip", link.ip)
            json.field("port", link.port)
            json.field("rtt_ms", link.rtt.map { $0 * 1000 })
            json.field("uptime_s", link.uptime)
            json.field("idle_s", link.idle)
            json.field("pending_bytes", link.pendingBytes)
            json.field("in_msgs", link.inMsgs)
            json.field("out_msgs", link.outMsgs)
            json.field("in_bytes", link.inBytes)
            json.field("out_bytes", link.outBytes)
            json.field("in_msgs_per_s", link.rates?.inMsgs)
            json.field("out_msgs_per_s", link.rates?.outMsgs)
            json.field("in_bytes_per_s", link.rates?.inBytes)
            json.field("out_bytes_per_s", link.rates?.outBytes)
            json.field("subscriptions", link.subscriptions)
            json.field("tls_version", link.tlsVersion)
            json.field("accounts", elements: accounts) { json, account in
                json.object { json in
                    json.field("name", account.name)
                    json.field("interest_mode", account.interestMode)
                    json.field("num_subs", account.numSubs)
                    json.field("num_queue_subs", account.numQueueSubs)
                }
            }
        }
    }

    static func write(_ pair: ClusterPairTraffic, into json: inout JSONWriter) {
        json.object { json in
            json.field("from", pair.from)
            json.field("to", pair.to)
            json.field("sent_msgs_per_s", pair.sentMsgsPerSecond)
            json.field("sent_bytes_per_s", pair.sentBytesPerSecond)
            json.field("received_msgs_per_s", pair.receivedMsgsPerSecond)
            json.field("received_bytes_per_s", pair.receivedBytesPerSecond)
        }
    }

    static func write(_ problem: Problem, into json: inout JSONWriter) {
        json.object { json in
            json.field("severity", problem.severity.rawValue)
            json.field("kind", problem.kind.rawValue)
            json.field("cluster", problem.cluster)
            json.field("server", problem.server)
            json.field("remote_cluster", problem.remoteCluster)
            json.field("url", problem.url)
            json.field("gid", problem.gid)
            json.field("message", problem.message)
        }
    }
}
