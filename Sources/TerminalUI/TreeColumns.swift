/// The tree's columns and which of them fit: lower-priority columns drop out on narrow terminals
/// (80 columns keep name, gid, remote, rates, RTT and pending; uptime and the trend need more).
public struct TreeColumns: Sendable, Equatable {
    public enum Column: String, Sendable, CaseIterable {
        case name, gid, remote, inMsgs, inBytes, outMsgs, outBytes, rtt, pending, uptime, trend

        var title: String {
            switch self {
            case .name: "NAME"
            case .gid: "GID"
            case .remote: "REMOTE"
            case .inMsgs: "IN/s"
            case .inBytes: "IN B/s"
            case .outMsgs: "OUT/s"
            case .outBytes: "OUT B/s"
            case .rtt: "RTT"
            case .pending: "PEND"
            case .uptime: "UPTIME"
            case .trend: "TREND"
            }
        }

        var minimumWidth: Int {
            switch self {
            case .name: 18
            case .gid: 8
            case .remote: 8
            case .inMsgs, .outMsgs: 5
            case .inBytes, .outBytes: 7
            case .rtt: 6
            case .pending: 6
            case .uptime: 6
            case .trend: 8
            }
        }

        var rightAligned: Bool {
            switch self {
            case .name, .gid, .remote, .trend: false
            default: true
            }
        }

        /// Lower comes first when space is short.
        var priority: Int {
            switch self {
            case .name: 0
            case .gid: 1
            case .inMsgs: 2
            case .outMsgs: 3
            case .rtt: 4
            case .remote: 5
            case .inBytes: 6
            case .outBytes: 7
            case .pending: 8
            case .uptime: 9
            case .trend: 10
            }
        }
    }

    public struct Placement: Sendable, Equatable {
        public var column: Column
        public var x: Int
        public var width: Int
    }

    public var placements: [Placement]

    /// Columns are separated by one space; `width` is the whole pane.
    public init(width: Int) {
        var chosen: [Column] = []
        var used = 0
        for column in Column.allCases.sorted(by: { $0.priority < $1.priority }) {
            let cost = column.minimumWidth + (chosen.isEmpty ? 0 : 1)
            if used + cost <= width {
                chosen.append(column)
                used += cost
            }
        }
        // Spare room widens the name (up to 34), then the remote name (to 14), then the trend.
        var spare = width - used
        var widths = Dictionary(uniqueKeysWithValues: chosen.map { ($0, $0.minimumWidth) })
        func grow(_ column: Column, to maximum: Int) {
            guard let current = widths[column] else { return }
            let extra = min(spare, max(0, maximum - current))
            widths[column] = current + extra
            spare -= extra
        }
        grow(.name, to: 34)
        grow(.remote, to: 14)
        grow(.trend, to: 40)
        grow(.name, to: 60)
        var x = 0
        placements = Column.allCases.filter { chosen.contains($0) }.map { column in
            defer { x += widths[column]! + 1 }
            return Placement(column: column, x: x, width: widths[column]!)
        }
    }

    public func placement(_ column: Column) -> Placement? { placements.first { $0.column == column } }

    /// The span from `column` to the end of the row (for free text such as an error).
    public func spanFrom(_ column: Column, totalWidth: Int) -> (x: Int, width: Int)? {
        guard let start = placement(column) else { return nil }
        return (start.x, totalWidth - start.x)
    }
}
