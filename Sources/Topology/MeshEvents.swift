public import MonitorModel

/// Something that changed between two polls. NATS keeps no history of gateway connections (a closed
/// one vanishes from /gatewayz and no advisory is sent), so gwtop derives it by diffing snapshots.
public struct MeshEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case gatewayConnected = "gateway_connected"
        case gatewayDisconnected = "gateway_disconnected"
        case gatewayReconnected = "gateway_reconnected"
        case endpointDown = "endpoint_down"
        case endpointUp = "endpoint_up"
        case serverRestarted = "server_restarted"
        case problemRaised = "problem_raised"
        case problemCleared = "problem_cleared"
    }

    public var time: MonitorTime
    public var kind: Kind
    public var cluster: String?
    public var server: String?
    public var remoteCluster: String?
    public var gid: UInt64?
    /// The connection a reconnect replaced.
    public var previousGid: UInt64?
    public var url: String?
    public var message: String
    /// For connection events: which side of the connection the reporting server is on.
    public var direction: GatewayDirection? = nil
    /// The reporting server's id, and for inbound connections the remote server's: what ties an event
    /// to a row of the tree across name changes and reconnects.
    public var serverID: String? = nil
    public var remoteServerID: String? = nil
    /// For problem events: the problem's severity.
    public var severity: Severity? = nil

    public init(
        time: MonitorTime, kind: Kind, cluster: String? = nil, server: String? = nil, remoteCluster: String? = nil,
        gid: UInt64? = nil, previousGid: UInt64? = nil, url: String? = nil, message: String,
        direction: GatewayDirection? = nil, serverID: String? = nil, remoteServerID: String? = nil, severity: Severity? = nil
    ) {
        self.time = time
        self.kind = kind
        self.cluster = cluster
        self.server = server
        self.remoteCluster = remoteCluster
        self.gid = gid
        self.previousGid = previousGid
        self.url = url
        self.message = message
        self.direction = direction
        self.serverID = serverID
        self.remoteServerID = remoteServerID
        self.severity = severity
    }

    /// A connection that went away or was replaced: what the per-row flap counter counts.
    public var isConnectionLoss: Bool { kind == .gatewayReconnected || kind == .gatewayDisconnected }
}

/// Pure: the events between two consecutive models (and their problems).
public enum MeshEventDetector {
    public static func events(
        from previous: Supercluster, _ previousProblems: [Problem], to current: Supercluster, _ currentProblems: [Problem]
    ) -> [MeshEvent] {
        connectionAndEndpointEvents(from: previous, to: current)
            + problemEvents(from: previousProblems, to: currentProblems, time: current.time)
    }

    /// The first poll has nothing to compare with: what is wrong at the start is "raised" then, so a
    /// timeline read later says what state the mesh was in when watching began.
    public static func firstPollEvents(_ current: Supercluster, _ currentProblems: [Problem]) -> [MeshEvent] {
        problemEvents(from: [], to: currentProblems, time: current.time)
    }

    static func connectionAndEndpointEvents(from previous: Supercluster, to current: Supercluster) -> [MeshEvent] {
        let time = current.time
        var events: [MeshEvent] = []
        let previousByURL = Dictionary(previous.servers.compactMap { s in s.url.map { ($0, s) } }, uniquingKeysWith: { a, _ in a })
        let previousByID = Dictionary(previous.servers.compactMap { s in s.id.map { ($0, s) } }, uniquingKeysWith: { a, _ in a })

        for server in current.servers where server.polled {
            guard let url = server.url, let before = previousByURL[url] else { continue }
            if before.reachable && !server.reachable {
                events.append(MeshEvent(
                    time: time, kind: .endpointDown, cluster: server.cluster, server: server.name, url: url,
                    message: "\(url) stopped answering: \(server.failure?.message ?? "no answer")", serverID: before.id))
            } else if !before.reachable && server.reachable {
                events.append(MeshEvent(
                    time: time, kind: .endpointUp, cluster: server.cluster, server: server.name, url: url,
                    message: "\(url) answers again", serverID: server.id))
            }
            guard before.reachable && server.reachable else { continue }
            let answer = EndpointAnswer(id: before.id, uptime: before.uptime, time: previous.time)
            if let restart = restart(of: server, at: url, time: time, before: answer, unreachableFor: nil) { events.append(restart) }
        }

        // Connections, seen from the servers that reported them in both polls.
        for server in current.servers where server.reachable {
            guard let id = server.id, let before = previousByID[id], before.reachable else { continue }
            for direction in [GatewayDirection.outbound, .inbound] {
                let old = direction == .outbound ? before.outbound : before.inbound
                let new = direction == .outbound ? server.outbound : server.inbound
                // The usual poll: the very same connections (a gid is never reused within a server).
                if old.count == new.count, old.indices.allSatisfy({ old[$0].gid == new[$0].gid }) { continue }
                // A connection is identified by its remote cluster and, inbound, its remote server.
                func key(_ link: GatewayLink) -> String {
                    direction == .outbound ? link.remoteCluster : link.remoteCluster + "/" + (link.remoteServerID ?? "gid:\(link.gid)")
                }
                let oldByKey = Dictionary(old.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
                let newByKey = Dictionary(new.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
                let arrow = direction == .outbound ? "outbound to" : "inbound from"
                for (linkKey, link) in newByKey.sorted(by: { $0.key < $1.key }) {
                    if let was = oldByKey[linkKey] {
                        if was.gid != link.gid {
                            events.append(MeshEvent(
                                time: time, kind: .gatewayReconnected, cluster: server.cluster, server: server.name,
                                remoteCluster: link.remoteCluster, gid: link.gid, previousGid: was.gid, url: server.url,
                                message: "\(MeshDiagnosis.label(server)) \(arrow) \(link.remoteCluster) reconnected: \(was.logToken) → \(link.logToken)",
                                direction: direction, serverID: id, remoteServerID: link.remoteServerID))
                        }
                    } else {
                        events.append(MeshEvent(
                            time: time, kind: .gatewayConnected, cluster: server.cluster, server: server.name,
                            remoteCluster: link.remoteCluster, gid: link.gid, url: server.url,
                            message: "\(MeshDiagnosis.label(server)) \(arrow) \(link.remoteCluster) connected (\(link.logToken))",
                            direction: direction, serverID: id, remoteServerID: link.remoteServerID))
                    }
                }
                for (linkKey, was) in oldByKey.sorted(by: { $0.key < $1.key }) where newByKey[linkKey] == nil {
                    events.append(MeshEvent(
                        time: time, kind: .gatewayDisconnected, cluster: server.cluster, server: server.name,
                        remoteCluster: was.remoteCluster, gid: was.gid, url: server.url,
                        message: "\(MeshDiagnosis.label(server)) \(arrow) \(was.remoteCluster) disconnected (\(was.logToken))",
                        direction: direction, serverID: id, remoteServerID: was.remoteServerID))
                }
            }
        }

        return events
    }

    /// What an endpoint last answered with: kept through an outage, so that the server answering when it
    /// comes back can be told from the one that answered before.
    struct EndpointAnswer: Sendable {
        var id: String?
        var uptime: Double?
        var time: MonitorTime
    }

    /// The one restart rule, for two consecutive polls and across an outage: the server answering at
    /// `url` is another process than the one that gave `before` if its id changed, or if its uptime went
    /// backwards (consecutive polls) or is shorter than the time it did not answer (`unreachableFor`).
    static func restart(
        of server: ServerNode, at url: String, time: MonitorTime, before: EndpointAnswer, unreachableFor outage: Double?
    ) -> MeshEvent? {
        let reason: String
        if let oldID = before.id, let newID = server.id, oldID != newID {
            reason = "server id \(oldID) is now \(newID)"
        } else if let outage {
            guard let uptime = server.uptime, uptime + 1 < outage else { return nil }
            reason = "uptime \(Units.duration(uptime)) is shorter than the \(Units.duration(outage)) it was unreachable"
        } else {
            guard let oldUptime = before.uptime, let newUptime = server.uptime, newUptime + 1 < oldUptime else { return nil }
            reason = "uptime went from \(Units.duration(oldUptime)) to \(Units.duration(newUptime))"
        }
        return MeshEvent(
            time: time, kind: .serverRestarted, cluster: server.cluster, server: server.name, url: url,
            message: "\(MeshDiagnosis.label(server)) restarted\(outage == nil ? "" : " while unreachable"): \(reason)",
            serverID: server.id)
    }

    /// For every endpoint that answers again (its `endpointUp` event in `events`): whether the server
    /// restarted while it was unreachable, against what the endpoint last answered before the outage.
    static func restartsAfterOutages(
        _ model: Supercluster, events: [MeshEvent], lastAnswers: [String: EndpointAnswer]
    ) -> [MeshEvent] {
        var restarts: [MeshEvent] = []
        for event in events where event.kind == .endpointUp {
            guard let url = event.url, let before = lastAnswers[url],
                let server = model.servers.first(where: { $0.url == url && $0.reachable })
            else { continue }
            let outage = model.time.seconds(since: before.time)
            if let restart = restart(of: server, at: url, time: model.time, before: before, unreachableFor: outage) {
                restarts.append(restart)
            }
        }
        return restarts
    }

    static func problemEvents(from previousProblems: [Problem], to currentProblems: [Problem], time: MonitorTime) -> [MeshEvent] {
        var events: [MeshEvent] = []
        // Problems, by what they are about (kind, place), not by their changing wording.
        func problemKey(_ problem: Problem) -> String {
            [problem.kind.rawValue, problem.cluster ?? "", problem.server ?? "", problem.remoteCluster ?? "", problem.url ?? ""]
                .joined(separator: "|")
        }
        let before = Dictionary(previousProblems.map { (problemKey($0), $0) }, uniquingKeysWith: { a, _ in a })
        let now = Dictionary(currentProblems.map { (problemKey($0), $0) }, uniquingKeysWith: { a, _ in a })
        for problem in currentProblems where before[problemKey(problem)] == nil {
            events.append(MeshEvent(
                time: time, kind: .problemRaised, cluster: problem.cluster, server: problem.server,
                remoteCluster: problem.remoteCluster, gid: problem.gid, url: problem.url,
                message: "\(problem.severity.rawValue) \(problem.kind.rawValue): \(problem.message)", severity: problem.severity))
        }
        for problem in previousProblems where now[problemKey(problem)] == nil {
            events.append(MeshEvent(
                time: time, kind: .problemCleared, cluster: problem.cluster, server: problem.server,
                remoteCluster: problem.remoteCluster, gid: problem.gid, url: problem.url,
                message: "cleared \(problem.kind.rawValue): \(problem.message)", severity: problem.severity))
        }
        return events
    }
}
