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
        let columnsFitting = max(1, (area.width - labelWidth - 2) / cellWidth)
        let cells = cells(model, problems: state.problems)
        // All rows, a blank line and the legend, if they fit; else rows up to the legend on the last line.
        let allFit = names.count <= columnsFitting && area.y + 3 + names.count < area.maxY
        let rowsFitting = allFit ? names.count : max(1, area.maxY - 1 - (area.y + 2))
        // A matrix too big for the screen (50 clusters at 80×24 show 14 × 19) shows the clusters with
        // problems first, so a partitioned one is in view wherever its name sorts.
        let ordered = allFit ? names : worstFirst(names, cells)
        let shownColumns = Array(ordered.prefix(columnsFitting))
        let shownRows = Array(ordered.prefix(rowsFitting))
        var x = area.x + 1 + labelWidth
        for name in shownColumns {
            buffer.put(TerminalSafe.text(name, maxLength: 30), x: x, y: area.y + 1, role: .columnHeading, maxWidth: cellWidth - 1)
            x += cellWidth
        }
        for (rowIndex, from) in shownRows.enumerated() {
            let y = area.y + 2 + rowIndex
            buffer.put(TerminalSafe.text(from, maxLength: 30), x: area.x + 1, y: y, role: .cluster, maxWidth: labelWidth - 1)
            x = area.x + 1 + labelWidth
            for to in shownColumns {
                if to == from {
                    buffer.put("  ·", x: x, y: y, role: .dim)
                } else if let cell = cells[from]?[to] {
                    let glyph = g.health(cell.health)
                    let text = cell.missing > 0
                        ? glyph + "-\(cell.missing)" : cellText(glyph: glyph, cell.msgsPerSecond, width: cellWidth - 1)
                    buffer.put(text, x: x, y: y, role: cell.health.role, maxWidth: cellWidth - 1)
                }
                x += cellWidth
            }
        }
        let legendY = allFit ? area.y + 3 + names.count : area.maxY - 1
        let key = "\(g.critical)-N: N servers of the row's cluster have no outbound to the column's"
        let hidden = "clusters with problems first; \(names.count - shownRows.count) rows, "
            + "\(names.count - shownColumns.count) columns not shown"
        // The longest legend that fits; what is not shown matters more than the key.
        let legends = allFit ? [key] : [key + "   " + hidden, hidden + "   \(g.critical)-N: N servers without that outbound", hidden]
        let legend = legends.first { displayWidth(of: $0) <= area.width - 2 } ?? legends[legends.count - 1]
        buffer.put(legend, x: area.x + 1, y: legendY, role: .dim, maxWidth: area.width - 2)
    }

    /// A cell: the health glyph and the rate, spaced if there is room. A figure that does not fit is
    /// given shorter or left out, never cut ("1.0K" read "1." in a 5-column cell).
    static func cellText(glyph: String, _ rate: Double, width: Int) -> String {
        let room = width - displayWidth(of: glyph)
        guard let figure = rateText(rate, width: room) else { return glyph }
        return displayWidth(of: figure) < room ? glyph + " " + figure : glyph + figure
    }

    /// A message rate in at most `width` columns: as everywhere else, or in whole thousands (millions…)
    /// when that is too wide; nil when not even that fits, or when it would round to nothing ("0K" would
    /// read as an idle link).
    public static func rateText(_ value: Double, width: Int) -> String? {
        let usual = Units.count(value)
        if displayWidth(of: usual) <= width { return usual }
        guard value.isFinite, value >= 1 else { return nil }
        var scaled = value
        for suffix in ["K", "M", "G", "T"] {
            scaled /= 1000
            let rounded = scaled.rounded()
            guard rounded < 1000 else { continue }
            guard rounded >= 1 else { return nil }
            let whole = String(Int(rounded)) + suffix
            return whole.count <= width ? whole : nil
        }
        return nil
    }

    /// Cluster names, those whose row or column holds the worst cells first, then those with the most
    /// such cells (a cluster cut off before the 49 others, each of which has one cell to it); names in
    /// their order otherwise.
    public static func worstFirst(_ names: [String], _ cells: [String: [String: Cell]]) -> [String] {
        var worst: [String: Health] = [:]
        var bad: [String: Int] = [:]
        for (from, row) in cells {
            for (to, cell) in row where cell.health != .ok {
                worst[from] = max(worst[from] ?? .ok, cell.health)
                worst[to] = max(worst[to] ?? .ok, cell.health)
                bad[from, default: 0] += 1
                bad[to, default: 0] += 1
            }
        }
        return TreeRowBuilder.worstFirst(names) { (worst[$0] ?? .ok, bad[$0] ?? 0) }
    }
}
