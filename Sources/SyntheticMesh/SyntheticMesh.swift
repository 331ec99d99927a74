import Foundation
public import MonitorModel

/// A self-consistent synthetic supercluster for benchmarks: C clusters × S servers, each with one
/// outbound gateway per other cluster and the inbound ones of the servers that chose it, realistic
/// counters that advance with time (so rates are real), RTT strings and accounts. Documents are written
/// byte by byte in nats-server's own layout (indented JSON), fast enough that serving 250 servers a
/// second does not make the server the bottleneck of what it measures.
public struct SyntheticMesh: Sendable {
    public let clusters: Int
    public let serversPerCluster: Int
    /// Seconds since 1970 at which every server started (counters are zero then).
    public let startedAt: Double

    /// What is broken, from when: none by default.
    public let faults: Faults

    public init(clusters: Int, serversPerCluster: Int, startedAt: Double, faults: Faults = Faults()) {
        self.clusters = max(1, clusters)
        self.serversPerCluster = max(1, serversPerCluster)
        self.startedAt = startedAt
        self.faults = faults
    }

    public struct ServerRef: Sendable, Hashable {
        public let cluster: Int
        public let index: Int

        public init(cluster: Int, index: Int) {
            self.cluster = cluster
            self.index = index
        }
    }

    /// What an operator meets at 3 a.m., at a scale no laptop runs for real: gateways between two data
    /// centres gone, servers down. Faults hold from `from` on, so a watcher sees the mesh break.
    public struct Faults: Sendable, Equatable {
        /// Cluster pairs with no gateway connection between them, either way: each side's outbound to the
        /// other is missing (still configured), and so are the inbound ones.
        public var cutPairs: Set<ClusterPair> = []
        /// Servers that answer no request and hold no gateway connection; the servers that dialled one
        /// dial the next server of its cluster instead (a new connection: new gids, counters from zero),
        /// as nats-server does, and miss the cluster only when all of its servers are down.
        public var downServers: Set<ServerRef> = []
        /// Seconds since 1970 from which the faults hold; the mesh is whole before.
        public var from: Double = 0

        public init(cutPairs: Set<ClusterPair> = [], downServers: Set<ServerRef> = [], from: Double = 0) {
            self.cutPairs = cutPairs
            self.downServers = downServers
            self.from = from
        }

        public var isEmpty: Bool { cutPairs.isEmpty && downServers.isEmpty }
    }

    /// Two clusters (indices), in either order.
    public struct ClusterPair: Sendable, Hashable {
        public let low: Int
        public let high: Int

        public init(_ a: Int, _ b: Int) {
            low = min(a, b)
            high = max(a, b)
        }
    }

    // The empty sets are asked first: a whole mesh is what the benchmarks serve, 62,500 times a poll.
    public func isDown(_ s: ServerRef, at now: Double) -> Bool {
        !faults.downServers.isEmpty && now >= faults.from && faults.downServers.contains(s)
    }

    func isCut(_ a: Int, _ b: Int, at now: Double) -> Bool {
        !faults.cutPairs.isEmpty && now >= faults.from && faults.cutPairs.contains(ClusterPair(a, b))
    }

    public var servers: [ServerRef] {
        (0..<clusters).flatMap { c in (0..<serversPerCluster).map { ServerRef(cluster: c, index: $0) } }
    }

    /// Gateway connections of the whole mesh (without its faults).
    public var connectionCount: Int { 2 * clusters * serversPerCluster * (clusters - 1) }

    /// Every server's full answers at `now` (seconds since 1970), decoded as the poller would, without
    /// the network: for tests that need a large mesh's model.
    public func poll(at now: Double, sequence: Int) -> PollSnapshot {
        let time = MonitorTime(timeIntervalSince1970: now)
        let observations = servers.map { server in
            let endpoint = EndpointIdentity(displayURL: "http://127.0.0.1:18222" + pathPrefix(server))
            guard !isDown(server, at: now) else {
                // What gwtop-synthetic's HTTP server does for a server that is down: close the connection.
                let refused = EndpointFailure(.network, "connection closed by the server before the response was complete")
                return EndpointObservation(
                    endpoint: endpoint, observedAt: time,
                    responses: MonitorEndpointKind.fullSet.map { RawResponse(kind: $0, statusCode: nil, body: Data(), failure: refused) })
            }
            return EndpointObservation(
                endpoint: endpoint, observedAt: time,
                responses: [
                    RawResponse(kind: .varz, statusCode: 200, body: Data(varz(server, now: now))),
                    RawResponse(kind: .gatewayz, statusCode: 200, body: Data(gatewayz(server, now: now))),
                    RawResponse(kind: .routez, statusCode: 200, body: Data(routez(server, now: now))),
                    RawResponse(kind: .healthz, statusCode: 200, body: Data(healthz())),
                ])
        }
        return PollSnapshot(sequence: sequence, startedAt: time, finishedAt: time, observations: observations)
    }

    public func clusterName(_ c: Int) -> String { c < 99 ? "dc" + (c < 9 ? "0" : "") + String(c + 1) : "dc" + String(c + 1) }
    public func serverName(_ s: ServerRef) -> String { clusterName(s.cluster) + "-s" + String(s.index + 1) }
    /// The path prefix a server's documents are served under: `/dc01-s1/varz`.
    public func pathPrefix(_ s: ServerRef) -> String { "/" + serverName(s) }

    /// Faults named as gwtop-synthetic takes them, `--cut A:B` / `A:*` and `--down SERVER`, in this mesh
    /// (whose names they must be), from `from`.
    public func faults(cuts: [String], down: [String], from: Double) throws -> Faults {
        let names = "\(clusterName(0))…\(clusterName(clusters - 1))"
        func clusterIndex(_ name: Substring, in cut: String) throws -> Int {
            guard let index = self.cluster(named: String(name)) else {
                throw FaultError(description: "--cut \(cut): no cluster \(name) in this mesh (\(names))")
            }
            return index
        }
        var faults = Faults(from: from)
        for cut in cuts {
            let sides = cut.split(separator: ":", omittingEmptySubsequences: false)
            guard sides.count == 2 else { throw FaultError(description: "--cut \(cut): expected two clusters as A:B, or A:* for all") }
            let a = try clusterIndex(sides[0], in: cut)
            if sides[1] == "*" {
                for b in 0..<clusters where b != a { faults.cutPairs.insert(.init(a, b)) }
                continue
            }
            let b = try clusterIndex(sides[1], in: cut)
            guard a != b else { throw FaultError(description: "--cut \(cut): a cluster has no gateway to itself") }
            faults.cutPairs.insert(.init(a, b))
        }
        for name in down {
            guard let server = server(named: name) else {
                throw FaultError(
                    description: "--down \(name): no server \(name) in this mesh (\(serverName(servers[0]))…\(serverName(servers[servers.count - 1])))")
            }
            faults.downServers.insert(server)
        }
        return faults
    }

    public struct FaultError: Error, CustomStringConvertible {
        public let description: String
    }

    public func cluster(named name: String) -> Int? {
        guard name.hasPrefix("dc"), let number = Int(name.dropFirst(2)), (1...clusters).contains(number),
            clusterName(number - 1) == name
        else { return nil }
        return number - 1
    }

    public func server(named name: String) -> ServerRef? {
        guard name.hasPrefix("dc"), let dash = name.firstIndex(of: "-"),
            let c = Int(name[name.index(name.startIndex, offsetBy: 2)..<dash]),
            name[dash...].hasPrefix("-s"), let i = Int(name[name.index(dash, offsetBy: 2)...]),
            (1...clusters).contains(c), (1...serversPerCluster).contains(i)
        else { return nil }
        return ServerRef(cluster: c - 1, index: i - 1)
    }

    /// 56 characters like a real server id (N + 55 base-32 characters), stable per server.
    public func serverID(_ s: ServerRef) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        var state = UInt64(s.cluster * 1000 + s.index + 1) &* 0x9E37_79B9_7F4A_7C15
        var bytes: [UInt8] = [78]
        for _ in 0..<55 {
            state ^= state >> 29
            state = state &* 0xBF58_476D_1CE4_E5B9
            state ^= state >> 32
            bytes.append(alphabet[Int(state & 31)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The server of `remoteCluster` that `s` dials at `now`: its usual one, else (that one down) the next
    /// of that cluster that is up; nil when the pair is cut or every server there is down.
    public func outboundTarget(of s: ServerRef, to remoteCluster: Int, at now: Double) -> ServerRef? {
        guard !isCut(s.cluster, remoteCluster, at: now) else { return nil }
        let usual = usualTarget(of: s, to: remoteCluster)
        for step in 0..<serversPerCluster {
            let candidate = ServerRef(cluster: remoteCluster, index: (usual + step) % serversPerCluster)
            if !isDown(candidate, at: now) { return candidate }
        }
        return nil
    }

    /// The servers of other clusters that dial `s` at `now`, in cluster order (none when `s` is down).
    public func inboundSources(of s: ServerRef, at now: Double) -> [ServerRef] {
        guard !isDown(s, at: now) else { return [] }
        var sources: [ServerRef] = []
        for c in 0..<clusters where c != s.cluster {
            for i in 0..<serversPerCluster {
                let candidate = ServerRef(cluster: c, index: i)
                if !isDown(candidate, at: now), outboundTarget(of: candidate, to: s.cluster, at: now) == s { sources.append(candidate) }
            }
        }
        return sources
    }

    /// The other servers of `s`'s cluster it has a route to: those not down.
    func routePeers(of s: ServerRef, at now: Double) -> [ServerRef] {
        (0..<serversPerCluster).map { ServerRef(cluster: s.cluster, index: $0) }.filter { $0 != s && !isDown($0, at: now) }
    }

    /// Whether `s`'s connection to `target` is a re-dial made when the faults began (its usual target down),
    /// rather than the one made at start.
    func isRedial(_ s: ServerRef, to target: ServerRef) -> Bool { target.index != usualTarget(of: s, to: target.cluster) }

    /// The index of the server of `remoteCluster` that `s` dials when nothing is down: spread evenly.
    func usualTarget(of s: ServerRef, to remoteCluster: Int) -> Int { (s.index + s.cluster + remoteCluster) % serversPerCluster }

    /// When the link `s` → `target` was connected: a re-dial when the faults began.
    func connectedAt(_ s: ServerRef, to target: ServerRef) -> Double {
        isRedial(s, to: target) ? max(startedAt, faults.from) : startedAt + 1
    }

    /// Messages per second and bytes per message on the link `from` → `to`'s cluster.
    func traffic(from: ServerRef, toCluster: Int) -> (rate: Double, size: Int) {
        let h = mix(UInt64(from.cluster * 7919 + from.index * 104_729 + toCluster * 15_485_863))
        return (Double(5 + h % 400), 100 + Int((h >> 20) % 900))
    }

    func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    func ip(_ s: ServerRef) -> String { "10.\(s.cluster / 250).\(s.cluster % 250).\(s.index + 1)" }

    /// Gateway connection ids: outbound ones first (cluster order), then inbound (by the dialling server,
    /// so a server's ids stay put when others re-dial), then outbound re-dials, as a server that dialled
    /// its remotes at start, was then dialled, and later lost a remote would number them.
    func outboundGid(_ s: ServerRef, to target: ServerRef) -> Int {
        let d = target.cluster
        let slot = d < s.cluster ? d : d - 1
        return isRedial(s, to: target) ? 10 + clusters + clusters * serversPerCluster + slot : 10 + slot
    }
    func inboundGid(from source: ServerRef) -> Int { 10 + clusters + source.cluster * serversPerCluster + source.index }

    // MARK: Documents

    public func varz(_ s: ServerRef, now: Double) -> [UInt8] {
        var w = JSONBytes()
        w.open()
        w.field("server_id", string: serverID(s))
        w.field("server_name", string: serverName(s))
        w.field("version", string: "2.15.1")
        w.field("proto", int: 1)
        w.field("git_commit", string: "b2fd3ef")
        w.field("go", string: "go1.27.2")
        w.field("host", string: "0.0.0.0")
        w.field("port", int: 4222)
        w.field("max_connections", int: 65536)
        w.field("ping_interval", int: 120_000_000_000)
        w.field("ping_max", int: 2)
        w.field("http_host", string: "0.0.0.0")
        w.field("http_port", int: 8222)
        w.field("http_base_path", string: "")
        w.field("https_port", int: 0)
        w.field("auth_timeout", int: 2)
        w.field("max_control_line", int: 4096)
        w.field("max_payload", int: 1_048_576)
        w.field("max_pending", int: 67_108_864)
        w.key("cluster")
        w.open()
        w.field("name", string: clusterName(s.cluster))
        w.field("addr", string: "0.0.0.0")
        w.field("cluster_port", int: 6222)
        w.field("auth_timeout", int: 2)
        w.key("urls")
        w.openArray()
        for i in 0..<serversPerCluster where i != s.index { w.element(string: ip(ServerRef(cluster: s.cluster, index: i)) + ":6222") }
        w.closeArray()
        w.field("tls_timeout", int: 2)
        w.field("pool_size", int: 3)
        w.close()
        w.key("gateway")
        w.open()
        w.field("name", string: clusterName(s.cluster))
        w.field("host", string: "0.0.0.0")
        w.field("port", int: 7222)
        w.field("auth_timeout", int: 2)
        w.field("tls_timeout", int: 2)
        w.key("gateways")
        w.openArray()
        for c in 0..<clusters {
            w.openElement()
            w.field("name", string: clusterName(c))
            w.key("urls")
            w.openArray()
            for i in 0..<serversPerCluster { w.element(string: ip(ServerRef(cluster: c, index: i)) + ":7222") }
            w.closeArray()
            w.close()
        }
        w.closeArray()
        w.close()
        w.field("tls_timeout", int: 2)
        w.field("write_deadline", int: 10_000_000_000)
        w.field("start", time: startedAt)
        w.field("now", time: now)
        w.field("uptime", string: Self.uptime(now - startedAt))
        w.field("mem", int: 17_457_152 + (clusters * serversPerCluster) * 40_000)
        w.field("cores", int: 8)
        w.field("gomaxprocs", int: 8)
        w.field("cpu", int: 3)
        w.field("connections", int: 12)
        w.field("total_connections", int: 40)
        let routes = routePeers(of: s, at: now).count
        w.field("routes", int: routes)
        w.field("remotes", int: routes)
        w.field("leafnodes", int: 0)
        let elapsed = max(0, now - startedAt)
        w.field("in_msgs", int: Int(elapsed * 900))
        w.field("in_bytes", int: Int(elapsed * 900 * 300))
        w.field("out_msgs", int: Int(elapsed * 850))
        w.field("out_bytes", int: Int(elapsed * 850 * 300))
        w.field("slow_consumers", int: 0)
        w.field("subscriptions", int: 100)
        w.field("system_account", string: "$SYS")
        for stats in ["slow_consumer_stats", "stale_connection_stats"] {
            w.key(stats)
            w.open()
            for kind in ["clients", "routes", "gateways", "leafs"] { w.field(kind, int: 0) }
            w.close()
        }
        w.close()
        return w.bytes
    }

    /// `accounts`: the per-account interest lists, as nats-server adds them for `/gatewayz?accs=1`.
    public func gatewayz(_ s: ServerRef, now: Double, accounts: Bool = true) -> [UInt8] {
        var w = JSONBytes()
        w.open()
        w.field("server_id", string: serverID(s))
        w.field("now", time: now)
        w.field("name", string: clusterName(s.cluster))
        w.field("host", string: "0.0.0.0")
        w.field("port", int: 7222)
        w.key("outbound_gateways")
        w.open()
        for d in 0..<clusters where d != s.cluster {
            // A remote nats-server cannot reach is absent from outbound_gateways (still configured in /varz).
            guard let target = outboundTarget(of: s, to: d, at: now) else { continue }
            let (rate, size) = traffic(from: s, toCluster: d)
            w.key(clusterName(d))
            w.open()
            w.field("configured", bool: true)
            connection(&w, gid: outboundGid(s, to: target), remote: target, connectedAt: connectedAt(s, to: target), now: now,
                       inMsgs: 0, outMsgs: rate, size: size, salt: UInt64(d), accounts: accounts)
            w.close()
        }
        w.close()
        w.key("inbound_gateways")
        w.open()
        let sources = inboundSources(of: s, at: now)
        var index = 0
        var position = 0
        while position < sources.count {
            let cluster = sources[position].cluster
            w.key(clusterName(cluster))
            w.openArray()
            while position < sources.count && sources[position].cluster == cluster {
                let source = sources[position]
                let (rate, size) = traffic(from: source, toCluster: s.cluster)
                w.openElement()
                w.field("configured", bool: false)
                connection(&w, gid: inboundGid(from: source), remote: source, connectedAt: connectedAt(source, to: s), now: now,
                           inMsgs: rate, outMsgs: 0, size: size, salt: UInt64(1000 + index), accounts: accounts)
                w.close()
                position += 1
                index += 1
            }
            w.closeArray()
        }
        w.close()
        w.close()
        return w.bytes
    }

    func connection(
        _ w: inout JSONBytes, gid: Int, remote: ServerRef, connectedAt: Double, now: Double, inMsgs: Double, outMsgs: Double,
        size: Int, salt: UInt64, accounts: Bool
    ) {
        let elapsed = max(0, now - connectedAt)
        w.key("connection")
        w.open()
        w.field("cid", int: gid)
        w.field("kind", string: "Gateway")
        w.field("ip", string: ip(remote))
        w.field("port", int: 7222)
        w.field("start", time: connectedAt)
        w.field("last_activity", time: now - 0.2)
        // An RTT that wanders a little from poll to poll, as real ones do.
        let jitter = Double(mix(salt &+ UInt64(now)) % 200) / 1000
        let rtt = 0.4 + Double(remote.cluster % 17) * 3.1 + jitter
        w.field("rtt", string: Self.milliseconds(rtt))
        w.field("uptime", string: Self.uptime(elapsed))
        w.field("idle", string: "0s")
        w.field("pending_bytes", int: 0)
        w.field("in_msgs", int: Int(inMsgs * elapsed))
        w.field("out_msgs", int: Int(outMsgs * elapsed))
        w.field("in_bytes", int: Int(inMsgs * elapsed) * size)
        w.field("out_bytes", int: Int(outMsgs * elapsed) * size)
        w.field("subscriptions", int: 40)
        w.field("name", string: serverID(remote))
        w.close()
        guard accounts else { return }
        w.key("accounts")
        w.openArray()
        for (account, subs) in [("$G", 1), ("$SYS", 39)] {
            w.openElement()
            w.field("name", string: account)
            w.field("interest_mode", string: "Interest-Only")
            w.field("interest_only_threshold", int: 1000)
            w.field("num_subs", int: subs)
            w.close()
        }
        w.closeArray()
    }

    public func routez(_ s: ServerRef, now: Double) -> [UInt8] {
        var w = JSONBytes()
        w.open()
        w.field("server_id", string: serverID(s))
        w.field("server_name", string: serverName(s))
        w.field("now", time: now)
        let peers = routePeers(of: s, at: now)
        w.field("num_routes", int: peers.count)
        w.key("routes")
        w.openArray()
        var rid = 1
        for peer in peers {
            let i = peer.index
            w.openElement()
            w.field("rid", int: rid)
            w.field("remote_id", string: serverID(peer))
            w.field("remote_name", string: serverName(peer))
            w.field("did_solicit", bool: i < s.index)
            w.field("is_configured", bool: true)
            w.field("ip", string: ip(peer))
            w.field("port", int: 6222)
            w.field("rtt", string: "312µs")
            w.field("uptime", string: Self.uptime(now - startedAt))
            w.field("pending_size", int: 0)
            w.close()
            rid += 1
        }
        w.closeArray()
        w.close()
        return w.bytes
    }

    public func healthz() -> [UInt8] { Array("{\n  \"status\": \"ok\"\n}".utf8) }

    // MARK: Formats

    /// nats-server's uptime form: `1h2m3s`, `2d3h4m5s`.
    static func uptime(_ seconds: Double) -> String {
        var rest = Int(max(0, seconds))
        let days = rest / 86400; rest %= 86400
        let hours = rest / 3600; rest %= 3600
        let minutes = rest / 60
        let secs = rest % 60
        if days > 0 { return "\(days)d\(hours)h\(minutes)m\(secs)s" }
        if hours > 0 { return "\(hours)h\(minutes)m\(secs)s" }
        if minutes > 0 { return "\(minutes)m\(secs)s" }
        return "\(secs)s"
    }

    /// Go's Duration.String for a few milliseconds: `12.345ms`.
    static func milliseconds(_ value: Double) -> String {
        let micros = Int((value * 1000).rounded())
        let whole = micros / 1000
        var fraction = String(micros % 1000)
        while fraction.count < 3 { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(whole)ms" : "\(whole).\(fraction)ms"
    }
}

/// Indented JSON (two spaces, as nats-server's MarshalIndent) written straight into bytes.
struct JSONBytes {
    var bytes: [UInt8] = []
    private var depth = 0
    private var needsComma = false

    init() { bytes.reserveCapacity(64 * 1024) }

    private mutating func newline() {
        bytes.append(10)
        for _ in 0..<(depth * 2) { bytes.append(32) }
    }

    private mutating func separator() {
        if needsComma { bytes.append(44) }
        if depth > 0 { newline() }
    }

    mutating func key(_ name: String) {
        separator()
        bytes.append(34)
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: [34, 58, 32])
        needsComma = false
        pendingValue = true
    }

    private var pendingValue = false

    private mutating func beginValue() {
        if pendingValue { pendingValue = false } else { separator() }
    }

    mutating func open() { beginValue(); bytes.append(123); depth += 1; needsComma = false }
    mutating func openElement() { open() }
    mutating func close() {
        depth -= 1
        if needsComma { newline() }
        bytes.append(125)
        needsComma = true
    }
    mutating func openArray() { beginValue(); bytes.append(91); depth += 1; needsComma = false }
    mutating func closeArray() {
        depth -= 1
        if needsComma { newline() }
        bytes.append(93)
        needsComma = true
    }

    mutating func element(string value: String) { beginValue(); quoted(value); needsComma = true }

    mutating func field(_ name: String, string value: String) { key(name); beginValue(); quoted(value); needsComma = true }
    mutating func field(_ name: String, int value: Int) { key(name); beginValue(); integer(value); needsComma = true }
    mutating func field(_ name: String, bool value: Bool) {
        key(name); beginValue(); bytes.append(contentsOf: (value ? "true" : "false").utf8); needsComma = true
    }
    mutating func field(_ name: String, time value: Double) { key(name); beginValue(); quoted(Self.rfc3339(value)); needsComma = true }

    private mutating func quoted(_ value: String) {
        bytes.append(34)
        bytes.append(contentsOf: value.utf8)
        bytes.append(34)
    }

    private mutating func integer(_ value: Int) {
        if value < 0 { bytes.append(45) }
        var magnitude = value.magnitude
        var digits: [UInt8] = []
        repeat {
            digits.append(UInt8(48 + magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes.append(contentsOf: digits.reversed())
    }

    /// RFC 3339 with nanoseconds, UTC, as Go prints time.Time.
    static func rfc3339(_ seconds: Double) -> String { MonitorTime(timeIntervalSince1970: seconds).rfc3339Nanoseconds }
}
