import Foundation
import MonitorModel
import Topology

/// Builds synthetic endpoint observations for diagnosis and rate tests: a few lines per scenario
/// instead of hand-written JSON.
struct LinkSpec {
    var cluster: String
    var gid: UInt64
    var remoteID: String?
    var configured = true
    var inMsgs: Int64 = 0
    var outMsgs: Int64 = 0
    var inBytes: Int64 = 0
    var outBytes: Int64 = 0
    var rtt: Double? = 0.001
    var uptime: Double? = 600
    var idle: Double? = 1
    var pending: Int64 = 0
    var ip = "127.0.0.1"
    var port = 7222
}

struct ServerSpec {
    var id: String
    var name: String
    var cluster: String
    var configured: [String] = []
    var outbound: [LinkSpec] = []
    var inbound: [LinkSpec] = []
    var routes: [(id: String, name: String?)] = []
    var healthy = true
    var clusterSectionName: String?
    var gatewayName: String?
    var rejectUnknown: Bool?
    var advertise: String?
    var certificateNotAfter: MonitorTime?
    var configuredURLs: [String: [String]] = [:]
    var listenHost = "127.0.0.1"
    /// `/varz` uptime in seconds, when the test needs one.
    var uptime: Double?

    func observation(at now: Double) -> EndpointObservation {
        func info(_ link: LinkSpec) -> GatewayConnectionInfo {
            GatewayConnectionInfo(
                cid: link.gid, ip: link.ip, port: link.port, rtt: link.rtt, uptime: link.uptime, idle: link.idle,
                pendingBytes: link.pending, inMsgs: link.inMsgs, outMsgs: link.outMsgs, inBytes: link.inBytes,
                outBytes: link.outBytes, name: link.remoteID)
        }
        let time = MonitorTime(timeIntervalSince1970: now)
        var gatewayz = Gatewayz(serverID: id, now: time, name: cluster)
        for link in outbound {
            gatewayz.outboundGateways[link.cluster] = RemoteGateway(configured: link.configured, connection: info(link))
        }
        for link in inbound {
            gatewayz.inboundGateways[link.cluster, default: []].append(RemoteGateway(configured: false, connection: info(link)))
        }
        var gateway = GatewaySection(
            name: gatewayName ?? cluster,
            gateways: ([cluster] + configured).map { ConfiguredGateway(name: $0, urls: configuredURLs[$0] ?? []) })
        gateway.host = listenHost
        gateway.port = 7222
        gateway.rejectUnknown = rejectUnknown
        gateway.advertise = advertise
        gateway.tlsCertNotAfter = certificateNotAfter
        var varz = Varz(
            serverID: id, serverName: name, version: "2.15.1", now: time,
            cluster: ClusterSection(name: clusterSectionName ?? cluster), gateway: gateway)
        varz.uptime = uptime
        let routez = Routez(serverID: id, routes: routes.enumerated().map { index, route in
            Routez.Route(rid: UInt64(index + 1), remoteID: route.id, remoteName: route.name)
        })
        let snapshot = ServerSnapshot(
            varz: varz, gatewayz: gatewayz, routez: routez,
            healthz: Healthz(status: healthy ? "ok" : "unavailable", error: healthy ? nil : "JetStream not current"))
        return EndpointObservation(
            endpoint: EndpointIdentity(displayURL: "http://\(name):8222", name: name), observedAt: time, outcome: .success(snapshot))
    }
}

func poll(_ sequence: Int, at now: Double, _ servers: [ServerSpec], failures: [(url: String, group: String?, failure: EndpointFailure)] = [])
    -> PollSnapshot
{
    var observations = servers.map { $0.observation(at: now) }
    for failure in failures {
        observations.append(EndpointObservation(
            endpoint: EndpointIdentity(displayURL: failure.url, group: failure.group),
            observedAt: MonitorTime(timeIntervalSince1970: now), outcome: .failure(failure.failure)))
    }
    let time = MonitorTime(timeIntervalSince1970: now)
    return PollSnapshot(sequence: sequence, startedAt: time, finishedAt: time, observations: observations)
}

/// A healthy two-cluster mesh: a has a1, a2; b has b1. Each server dials the other cluster once.
func healthyTwoClusters(aOut: Int64 = 0) -> [ServerSpec] {
    [
        ServerSpec(
            id: "A1", name: "a1", cluster: "a", configured: ["b"],
            outbound: [LinkSpec(cluster: "b", gid: 11, remoteID: "B1", outMsgs: aOut, outBytes: aOut * 100)],
            inbound: [LinkSpec(cluster: "b", gid: 12, remoteID: "B1")], routes: [("A2", "a2")]),
        ServerSpec(
            id: "A2", name: "a2", cluster: "a", configured: ["b"],
            outbound: [LinkSpec(cluster: "b", gid: 21, remoteID: "B1")], routes: [("A1", "a1")]),
        ServerSpec(
            id: "B1", name: "b1", cluster: "b", configured: ["a"],
            outbound: [LinkSpec(cluster: "a", gid: 31, remoteID: "A1")],
            inbound: [
                LinkSpec(cluster: "a", gid: 32, remoteID: "A1", inMsgs: aOut, inBytes: aOut * 100),
                LinkSpec(cluster: "a", gid: 33, remoteID: "A2"),
            ]),
    ]
}

/// The healthy two clusters, b1 answering at a second URL while the one it answered at before fails: the
/// failed endpoint keeps b1's id (where it was last seen), so two nodes share it. Poll 2's model and poll 1's.
/// `remoteNamedLikeTheFailedNode`: a2 also lists an inbound whose remote id is that failed node's key.
func serverAnsweringAtASecondURL(remoteNamedLikeTheFailedNode: Bool = false) -> (model: Supercluster, previous: Supercluster) {
    var servers = healthyTwoClusters()
    if remoteNamedLikeTheFailedNode { servers[1].inbound.append(LinkSpec(cluster: "b", gid: 93, remoteID: "url:http://b1:8222")) }
    let time = MonitorTime(timeIntervalSince1970: 1001)
    var observations = servers.map { $0.observation(at: 1001) }
    observations[2].endpoint = EndpointIdentity(displayURL: "http://b1-alias:8222", name: "b1")
    observations.insert(EndpointObservation(
        endpoint: EndpointIdentity(displayURL: "http://b1:8222"), observedAt: time,
        outcome: .failure(EndpointFailure(.refused, "connection refused"))), at: 2)
    let before = SuperclusterBuilder.build(poll: poll(1, at: 1000, servers), previous: nil)
    let model = SuperclusterBuilder.build(
        poll: PollSnapshot(sequence: 2, startedAt: time, finishedAt: time, observations: observations), previous: before)
    return (model, before)
}
