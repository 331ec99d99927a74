import OutputFormat
public import Topology

/// Clusters × clusters: each cell the health and message rate of the link from the row's cluster to
/// the column's — a partitioned cluster shows as a whole row and column of ✗.
public enum MatrixView {
    public struct Cell: Sendable, Equatable {
        public var health: Health
        public var msgsPerSecond: Double
        /// Servers of the source cluster without a working outbound to the destination.
        public var missing: Int
    }

    public static func cells(_ model: Supercluster, problems: [Problem]) -> [String: [String: Cell]] {
        let names = model.clusters.filter { !$0.isUnknownBucket }.map(\.name)
        var result: [String: [String: Cell]] = [:]
        for from in names {
            let servers = model.cluster(named: from)?.servers.filter(\.reachable) ?? []
            for to in names where to != from {
                let missing = servers.filter { model.missingOutbound(for: $0).contains(to) }.count
                let related = problems.filter {
                    // A missing inbound at X from Y is about the link Y → X.
                    $0.kind == .missingInbound
                        ? ($0.cluster == to && $0.remoteCluster == from) : ($0.cluster == from && $0.remoteCluster == to)
                }
                var health: Health = servers.isEmpty ? .unknown : .ok
                if let worst = related.map({ Health($0.severity) }).filter({ $0 != .info }).max() { health = max(health, worst) }
                if missing > 0 { health = .critical }
                let rate = model.pairs.first { $0.from == from && $0.to == to }?.sentMsgsPerSecond ?? 0
                result[from, default: [:]][to] = Cell(health: health, msgsPerSecond: rate, missing: missing)
            }
        }
        return result
    }

    static func render(_ state: DashboardState, in area: Rect, into buffer: inout CellBuffer) {
        guard let model = state.model else { return }
        let g = state.glyphs
        let names = model.clusters.filter { !$0.isUnknownBucket }.map(\.name)
        buffer.put("Cluster matrix: row → column, health and msgs/s sent (m or Esc to close)", x: area.x + 1, y: area.y, role: .title)
        guard !names.isEmpty else { return }
        let labelWidth = min(16, max(6, names.map { displayWidth(of: $0) }.max() ?? 6) + 1)
        let cellWidth = max(5, min(10, (area.width - labelWidth - 2) / max(1, names.count)))
        let fitting = max(1, (area.width - labelWidth - 2) / cellWidth)
        let shownNames = Array(names.prefix(fitting))
        let cells = cells(model, problems: state.problems)
        var x = area.x + 1 + labelWidth
        for name in shownNames {
            buffer.put(TerminalSafe.text(name, maxLength: 30), x: x, y: area.y + 1, role: .columnHeading, maxWidth: cellWidth - 1)
            x += cellWidth
        }
        for (rowIndex, from) in names.enumerated() {
            let y = area.y + 2 + rowIndex
            guard y < area.maxY else { break }
            buffer.put(TerminalSafe.text(from, maxLength: 30), x: area.x + 1, y: y, role: .cluster, maxWidth: labelWidth - 1)
            x = area.x + 1 + labelWidth
            for to in shownNames {
                if to == from {
                    buffer.put("  ·", x: x, y: y, role: .dim)
                } else if let cell = cells[from]?[to] {
                    let text = cell.missing > 0 ? "\(g.health(cell.health))-\(cell.missing)"
                        : "\(g.health(cell.health)) \(Units.count(cell.msgsPerSecond))"
                    buffer.put(text, x: x, y: y, role: cell.health.role, maxWidth: cellWidth - 1)
                }
                x += cellWidth
            }
        }
        let legendY = area.y + 3 + names.count
        if legendY < area.maxY {
            buffer.put("\(g.critical)-N: N servers of the row's cluster have no outbound to the column's   "
                + (names.count > shownNames.count ? "(\(names.count - shownNames.count) columns do not fit)" : ""),
                x: area.x + 1, y: legendY, role: .dim, maxWidth: area.width - 2)
        }
    }
}
