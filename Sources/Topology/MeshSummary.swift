/// The supercluster at a glance: what the header, the check line and perfdata show.
public struct MeshSummary: Sendable, Equatable {
    public var clusters: Int
    public var serversTotal: Int
    public var serversPolled: Int
    public var serversReachable: Int
    /// Outbound gateway connections present on reachable servers.
    public var outboundUp: Int
    /// Outbound gateway connections reachable servers should have (one per other known cluster).
    public var outboundExpected: Int
    public var critical: Int
    public var warning: Int
    public var info: Int

    public init(_ model: Supercluster, problems: [Problem]) {
        let realClusters = model.clusters.filter { !$0.isUnknownBucket }
        clusters = realClusters.count
        serversTotal = model.servers.count
        serversPolled = model.servers.filter(\.polled).count
        serversReachable = model.servers.filter(\.reachable).count
        var up = 0
        var expected = 0
        for server in model.servers where server.reachable {
            let coverage = model.outboundCoverage(for: server)
            expected += coverage.expected.count
            up += coverage.up
        }
        outboundUp = up
        outboundExpected = expected
        critical = problems.filter { $0.severity == .critical }.count
        warning = problems.filter { $0.severity == .warning }.count
        info = problems.filter { $0.severity == .info }.count
    }

    /// The worst severity present, or nil when there is nothing to report.
    public var worst: Severity? {
        if critical > 0 { return .critical }
        if warning > 0 { return .warning }
        if info > 0 { return .info }
        return nil
    }
}
