public import MonitorModel
public import Topology

/// Identifies a row of the tree across polls, so selection and expansion survive refreshes.
public enum RowID: Sendable, Hashable {
    case cluster(String)
    case server(cluster: String, key: String)
    case connection(serverKey: String, direction: GatewayDirection, remoteCluster: String, gid: UInt64)
    case missing(serverKey: String, remoteCluster: String)

    public var serverKey: String? {
        switch self {
        case .cluster: nil
        case .server(_, let key): key
        case .connection(let key, _, _, _), .missing(let key, _): key
        }
    }
}

public enum Pane: Sendable, Equatable { case tree, problems }

/// What replaces the tree in the main area.
public enum MainView: Sendable, Equatable {
    case tree
    /// Drill-down into one row (Enter); Esc goes back.
    case detail(RowID)
    case matrix
    case help
}

public enum SortKey: String, Sendable, CaseIterable {
    case name, rate, rtt, pending, uptime

    public var next: SortKey {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

/// A key to a connection's history that survives reconnects (a new gid to the same remote server
/// continues the same series).
public struct SeriesKey: Sendable, Hashable {
    public var serverKey: String
    public var direction: GatewayDirection
    public var remoteCluster: String
    public var remoteServer: String

    public init(serverKey: String, link: GatewayLink) {
        self.serverKey = serverKey
        self.direction = link.direction
        self.remoteCluster = link.remoteCluster
        self.remoteServer = link.remoteServerID ?? "gid:\(link.gid)"
    }
}

/// The result of one poll cycle, as the dashboard receives it.
public struct PollUpdate: Sendable {
    public var model: Supercluster
    public var problems: [Problem]
    /// Local clock when the cycle finished.
    public var receivedAt: MonitorTime
    public var duration: Double

    public init(model: Supercluster, problems: [Problem], receivedAt: MonitorTime, duration: Double) {
        self.model = model
        self.problems = problems
        self.receivedAt = receivedAt
        self.duration = duration
    }
}

public enum DashboardMessage: Sendable {
    case key(Key)
    case poll(PollUpdate)
    /// The clock moved (drives the age of the last poll).
    case tick(MonitorTime)
    case resize(width: Int, height: Int)
}

/// Effects the update asks the runner to perform; the update itself does no I/O.
public enum DashboardCommand: Sendable, Equatable {
    case pollNow
    case setInterval(Double)
    case applyTheme(String)
    case quit
}

/// Everything the screen shows, and nothing about how it is drawn.
public struct DashboardState: Sendable {
    // Data.
    public var latest: PollUpdate?
    /// What is on screen: the latest poll, or the one frozen by pause.
    public var shown: PollUpdate?
    public var lastGoodPollAt: MonitorTime?
    public var now: MonitorTime
    public var interval: Double
    public var history: [SeriesKey: SampleRing] = [:]
    public var rttHistory: [SeriesKey: SampleRing] = [:]
    public var pairHistory: [String: SampleRing] = [:]
    public static let historyLength = 120

    // Interface.
    public var width: Int
    public var height: Int
    public var glyphs: Glyphs
    public var focus: Pane = .tree
    public var viewStack: [MainView] = [.tree]
    public var collapsed: Set<RowID> = []
    public var selection: RowID?
    public var scrollOffset = 0
    public var problemSelection = 0
    public var problemScroll = 0
    public var detailScroll = 0
    public var filter = ""
    public var editingFilter = false
    public var sort: SortKey = .name
    public var paused = false
    public var themeNames: [String]
    public var themeIndex: Int
    public var statusMessage: String?
    public var quitting = false

    public init(width: Int, height: Int, interval: Double, glyphs: Glyphs, themeNames: [String], themeIndex: Int = 0,
                now: MonitorTime) {
        self.width = width
        self.height = height
        self.interval = interval
        self.glyphs = glyphs
        self.themeNames = themeNames.isEmpty ? ["default"] : themeNames
        self.themeIndex = min(max(themeIndex, 0), max(themeNames.count - 1, 0))
        self.now = now
    }

    public var mainView: MainView { viewStack.last ?? .tree }
    public var themeName: String { themeNames[themeIndex] }
    public var model: Supercluster? { shown?.model }
    public var problems: [Problem] { shown?.problems ?? [] }

    /// Seconds since the last poll in which at least one endpoint answered.
    public var dataAge: Double? { lastGoodPollAt.map { now.seconds(since: $0) } }

    /// The age turns warning past three intervals and critical past ten (at least 5 s and 15 s).
    public var dataAgeHealth: Health {
        guard let age = dataAge else { return .unknown }
        if age > max(10 * interval, 15) { return .critical }
        if age > max(3 * interval, 5) { return .warning }
        return .ok
    }
}
