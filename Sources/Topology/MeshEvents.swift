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
}

/// Pure: the events between two consecutive models (and their problems).
public enum MeshEventDetector {
    public static func events(
        from previous: Supercluster, _ previousProblems: [Problem], to current: Supercluster, _ currentProblems: [Problem]
    ) -> [MeshEvent] {
        let time = current.time
        var events: [MeshEvent] = []
        func label(_ server: ServerNode) -> String { "\(server.name) (\(server.cluster))" }
        let previousByURL = Dictionary(previous.servers.compactMap { s in s.url.map { ($0, s) } }, uniquingKeysWith: { a, _ in a })
        let previousByID = Dictionary(previous.servers.compactMap { s in s.id.map { ($0, s) } }, uniquingKeysWith: { a, _ in a })

        for server in current.servers where server.polled {
            guard let url = server.url, let before = previousByURL[url] else { continue }
            if before.reachable && !server.reachable {
                events.append(MeshEvent(
                    time: time, kind: .endpointDown, cluster: server.cluster, server: server.name, url: url,
                    message: "\(url) stopped answering: \(server.failure?.message ?? "no answer")"))
            } else if !before.reachable && server.reachable {
                events.append(MeshEvent(
                    time: time, kind: .endpointUp, cluster: server.cluster, server: server.name, url: url,
                    message: "\(url) answers again"))
            }
            guard before.reachable && server.reachable else { continue }
            if let oldID = before.id, let newID = server.id, oldID != newID {
                events.append(MeshEvent(
                    time: time, kind: .serverRestarted, cluster: server.cluster, server: server.name, url: url,
                    message: "\(label(server)) restarted: server id \(oldID) is now \(newID)"))
                continue
            }
            if let oldUptime = before.uptime, let newUptime = server.uptime, newUptime + 1 < oldUptime {
                events.append(MeshEvent(
                    time: time, kind: .serverRestarted, cluster: server.cluster, server: server.name, url: url,
                    message: "\(label(server)) restarted: uptime went from \(Units.duration(oldUptime)) to \(Units.duration(newUptime))"))
            }
        }

        // Connections, seen from the servers that reported them in both polls.
        for server in current.servers where server.reachable {
            guard let id = server.id, let before = previousByID[id], before.reachable else { continue }
            for direction in [GatewayDirection.outbound, .inbound] {
                let old = direction == .outbound ? before.outbound : before.inbound
                let new = direction == .outbound ? server.outbound : server.inbound
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
                                message: "\(label(server)) \(arrow) \(link.remoteCluster) reconnected: \(was.logToken) → \(link.logToken)"))
                        }
                    } else {
                        events.append(MeshEvent(
                            time: time, kind: .gatewayConnected, cluster: server.cluster, server: server.name,
                            remoteCluster: link.remoteCluster, gid: link.gid, url: server.url,
                            message: "\(label(server)) \(arrow) \(link.remoteCluster) connected (\(link.logToken))"))
                    }
                }
                for (linkKey, was) in oldByKey.sorted(by: { $0.key < $1.key }) where newByKey[linkKey] == nil {
                    events.append(MeshEvent(
                        time: time, kind: .gatewayDisconnected, cluster: server.cluster, server: server.name,
                        remoteCluster: was.remoteCluster, gid: was.gid, url: server.url,
                        message: "\(label(server)) \(arrow) \(was.remoteCluster) disconnected (\(was.logToken))"))
                }
            }
        }

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
                message: "\(problem.severity.rawValue) \(problem.kind.rawValue): \(problem.message)"))
        }
        for problem in previousProblems where now[problemKey(problem)] == nil {
            events.append(MeshEvent(
                time: time, kind: .problemCleared, cluster: problem.cluster, server: problem.server,
                remoteCluster: problem.remoteCluster, gid: problem.gid, url: problem.url,
                message: "cleared \(problem.kind.rawValue): \(problem.message)"))
        }
        return events
    }
}
