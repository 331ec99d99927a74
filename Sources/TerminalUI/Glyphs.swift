public import Topology

/// Parallel glyph sets: UTF-8 when the locale's codeset is UTF-8, ASCII otherwise (or with `--ascii`).
public struct Glyphs: Sendable, Equatable {
    public var treeBranch: String
    public var treeLast: String
    /// A closed server's branch: the tree line with the closed mark on it (ASCII `>`, since `+` is OK).
    public var treeBranchClosed: String
    public var treeLastClosed: String
    public var treeVertical: String
    public var expanded: String
    public var collapsed: String
    public var outbound: String
    public var inbound: String
    public var ok: String
    public var warning: String
    public var critical: String
    public var unknown: String
    public var info: String
    public var sparkLevels: [String]
    public var horizontal: String
    public var separator: String
    public var ellipsis: String
    public var sortMarker: String
    /// Before a count of recent reconnects on a connection row.
    public var reconnects: String

    public static let unicode = Glyphs(
        treeBranch: "├─", treeLast: "└─", treeBranchClosed: "├▸", treeLastClosed: "└▸", treeVertical: "│ ", expanded: "▾", collapsed: "▸", outbound: "→", inbound: "←",
        ok: "✓", warning: "▲", critical: "✗", unknown: "?", info: "i",
        sparkLevels: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], horizontal: "─", separator: "│", ellipsis: "…",
        sortMarker: "▼", reconnects: "↻")

    public static let ascii = Glyphs(
        treeBranch: "|-", treeLast: "`-", treeBranchClosed: "|>", treeLastClosed: "`>", treeVertical: "| ", expanded: "-", collapsed: "+", outbound: ">", inbound: "<",
        ok: "+", warning: "!", critical: "X", unknown: "?", info: "i",
        sparkLevels: [".", ".", ":", ":", "|", "|", "#", "#"], horizontal: "-", separator: "|", ellipsis: "~",
        sortMarker: "v", reconnects: "~")

    public func health(_ health: Health) -> String {
        switch health {
        case .ok: ok
        case .warning: warning
        case .critical: critical
        case .unknown: unknown
        case .info: info
        }
    }
}

/// The state of a row, told apart by glyph and word as well as by colour.
public enum Health: Int, Sendable, Comparable {
    case ok = 0, info = 1, unknown = 2, warning = 3, critical = 4

    public static func < (lhs: Health, rhs: Health) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(_ severity: Severity) {
        switch severity {
        case .critical: self = .critical
        case .warning: self = .warning
        case .info: self = .info
        }
    }

    public var role: StyleRole {
        switch self {
        case .ok: .ok
        case .info: .info
        case .unknown: .unknown
        case .warning: .warning
        case .critical: .critical
        }
    }

    public var word: String {
        switch self {
        case .ok: "ok"
        case .info: "info"
        case .unknown: "unknown"
        case .warning: "warning"
        case .critical: "critical"
        }
    }
}
