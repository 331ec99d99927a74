/// Tells a STATSZ that announces a gateway change from a regular one. Pure: arrival times are given.
struct GatewayAnnouncementDetector {
    /// One entry of STATSZ `gateways` (the fields that identify the outbound connection).
    struct Gateway: Equatable, Comparable, Decodable {
        var gwid: UInt64
        var name: String
        static func < (lhs: Gateway, rhs: Gateway) -> Bool { (lhs.name, lhs.gwid) < (rhs.name, rhs.gwid) }
    }

    /// Regular STATSZ come every 10 s (2.10+) or 30 s (older); anything this much sooner after the same
    /// server's previous one is an announcement. A restarted server's start-up series (1, 2, 4, 8 s)
    /// counts too, which is right: its gateways are new.
    var regularAtLeast: Duration = .seconds(9)
    private var last: [String: (at: ContinuousClock.Instant, gateways: [Gateway])] = [:]

    /// True when this STATSZ should bring the next poll forward. The first one of a server only
    /// establishes what is regular for it.
    mutating func observe(serverID: String, gateways: [Gateway], at time: ContinuousClock.Instant) -> Bool {
        let sorted = gateways.sorted()
        defer { last[serverID] = (time, sorted) }
        guard let previous = last[serverID] else { return false }
        return previous.gateways != sorted || time - previous.at < regularAtLeast
    }
}
