import Foundation
public import MonitorModel
public import Topology

/// Which tree nodes are open. Clusters and servers are open unless the user closed them, except that in a
/// large mesh servers are closed unless the user opened them: the tree then opens on its clusters and
/// servers (300 rows at 250 servers) instead of 25,000 connection rows, one server's hundred filling the
/// screen.
public struct TreeExpansion: Sendable, Hashable {
    /// A server as the user knows it: its id changes when it restarts, its name does not.
    public struct ServerName: Sendable, Hashable {
        public var cluster: String
        public var name: String
        public init(_ server: ServerNode) {
            cluster = server.cluster
            name = server.name
        }
    }

    /// Above this many gateway connections in a shown poll, servers start closed.
    public static let serversStartClosedAbove = 1_000

    public var collapsed: Set<RowID>
    public var openedServers: Set<ServerName>
    public var serversStartClosed: Bool

    public func isOpen(_ server: ServerNode, id: RowID) -> Bool {
        serversStartClosed ? openedServers.contains(ServerName(server)) && !collapsed.contains(id) : !collapsed.contains(id)
    }
}

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

/// Where a replay is: shown in the header, changed by the replay keys.
public struct ReplayStatus: Sendable, Equatable {
    /// 0-based index of the record on screen, and how many there are.
    public var position: Int
    public var count: Int
    /// Recorded time of the record on screen.
    public var time: MonitorTime
    public var start: MonitorTime
    public var end: MonitorTime
    /// Recorded seconds per wall-clock second.
    public var speed: Double
    public var paused: Bool
    /// `--demo`: starts again at the end.
    public var looping: Bool

    public init(position: Int, count: Int, time: MonitorTime, start: MonitorTime, end: MonitorTime, speed: Double = 1,
                paused: Bool = false, looping: Bool = false) {
        self.position = position
        self.count = count
        self.time = time
        self.start = start
        self.end = end
        self.speed = speed
        self.paused = paused
        self.looping = looping
    }

    public var atEnd: Bool { position >= count - 1 }
}

/// What the replay keys ask the replay driver to do.
public enum ReplayControl: Sendable, Equatable {
    case togglePause, slower, faster, stepBack, stepForward, previousEvent, nextEvent
    /// A time as typed: RFC 3339, +offset from the start, -offset from the end.
    case jump(String)
}

/// What replaces the tree in the main area.
public enum MainView: Sendable, Equatable {
    case tree
    /// Drill-down into one row (Enter); Esc goes back.
    case detail(RowID)
    case matrix
    case help
    /// The event timeline, newest first (`e`).
    case events
}

public enum SortKey: String, Sendable, CaseIterable {
    /// `health` orders clusters and servers too, worst first (on a mesh of hundreds of servers the broken
    /// ones are otherwise pages down); the others order each server's connections only.
    case name, health, rate, rtt, pending, uptime

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
        self.init(
            serverKey: serverKey, direction: link.direction, remoteCluster: link.remoteCluster,
            remoteServerID: link.remoteServerID, gid: link.gid)
    }

    public init(serverKey: String, direction: GatewayDirection, remoteCluster: String, remoteServerID: String?, gid: UInt64) {
        self.serverKey = serverKey
        self.direction = direction
        self.remoteCluster = remoteCluster
        self.remoteServer = remoteServerID ?? "gid:\(gid)"
    }
}

/// The result of one poll cycle, as the dashboard receives it.
/// The one connection all the data comes through, when there is one (`--nats`): shown in the header,
/// because when it is down every server looks down.
public struct SourceConnection: Sendable, Equatable {
    /// "via e2" or "NATS reconnecting: …".
    public var text: String
    public var isUp: Bool

    public init(text: String, isUp: Bool) {
        self.text = text
        self.isUp = isUp
    }
}

public struct PollUpdate: Sendable {
    public var model: Supercluster
    public var problems: [Problem]
    /// Local clock when the cycle finished.
    public var receivedAt: MonitorTime
    public var duration: Double
    /// What this poll changed.
    public var events: [MeshEvent]
    /// The system-account connection as the poll ended; nil without `--nats`.
    public var sourceConnection: SourceConnection?

    public init(
        model: Supercluster, problems: [Problem], receivedAt: MonitorTime, duration: Double, events: [MeshEvent] = [],
        sourceConnection: SourceConnection? = nil
    ) {
        self.model = model
        self.problems = problems
        self.receivedAt = receivedAt
        self.duration = duration
        self.events = events
        self.sourceConnection = sourceConnection
    }
}

public enum DashboardMessage: Sendable {
    case key(Key)
    case poll(PollUpdate)
    /// The clock moved (drives the age of the last poll).
    case tick(MonitorTime)
    case resize(width: Int, height: Int)
    /// Replay jumped: histories start again and the timeline is replaced by the events up to the new
    /// position (the polls that follow carry no events of their own).
    case replayReset(events: [MeshEvent])
    case replayStatus(ReplayStatus)
    /// A message for the status line (a replay jump that could not be understood, say).
    case status(String)
}

/// Effects the update asks the runner to perform; the update itself does no I/O.
public enum DashboardCommand: Sendable, Equatable {
    case pollNow
    case setInterval(Double)
    case applyTheme(String)
    case replay(ReplayControl)
    case quit
}

/// Everything the screen shows, and nothing about how it is drawn.
public struct DashboardState: Sendable {
    // Data.
    public var latest: PollUpdate?
    /// What is on screen: the latest poll, or the one frozen by pause.
    public var shown: PollUpdate? { didSet { shownVersion &+= 1 } }
    /// Changes whenever `shown` is replaced: part of what the tree rows are cached against.
    public private(set) var shownVersion = 0
    /// The tree rows of the last (shown, collapsed, filter, sort): built once per change instead of
    /// on every frame and key, which at 24,000 connections is the difference between 0.1 and 100 ms.
    let rowsCache = RowsCache()
    let summaryCache = SummaryCache()
    public var lastGoodPollAt: MonitorTime?
    public var now: MonitorTime
    public var interval: Double
    public var history = HistoryStore()
    public var pairHistory: [String: PairHistory] = [:]
    /// Samples kept per series: 600 polls (10 minutes at the default 1 s interval), fewer in a mesh too
    /// large for that to fit `historyBudgetBytes` (see `historyCapacity`).
    public var historyLength = 600
    /// The most the connections' samples may take: 16 MiB, 600 samples a series up to 3,495 connections,
    /// 85 at 24,500 (250 servers). Without it a 250-server dashboard grew past 300 MiB in its first six
    /// minutes, its history alone 24,500 × 4 series × 600 samples.
    public var historyBudgetBytes = 16 << 20
    /// The same for the cluster pairs' samples: 4 MiB, the whole window up to 1,747 directed pairs (42
    /// clusters), 428 samples at 2,450 (50 clusters).
    public var pairHistoryBudgetBytes = 4 << 20
    /// Polls received, for dropping series no longer recorded.
    public var historyPolls = 0
    /// The timeline, oldest first, at most `eventLimit` long.
    public var events: [MeshEvent] = []
    public static let eventLimit = 5_000
    /// Connection losses (reconnects and disconnects) per connection in the last `flapWindow` seconds,
    /// keyed by `flapKey`: recomputed once per poll so rows look it up in O(1).
    public var recentConnectionLosses: [String: Int] = [:]
    public static let flapWindow = 600.0
    /// Set when replaying a recording.
    public var replay: ReplayStatus?
    /// The file every poll is being recorded to (`--record`), shown in the header.
    public var recordingTo: String?

    // Interface.
    public var width: Int
    public var height: Int
    public var glyphs: Glyphs
    public var focus: Pane = .tree
    public var viewStack: [MainView] = [.tree]
    /// Clusters and servers the user closed.
    public var collapsed: Set<RowID> = []
    /// Servers the user opened, by cluster and name (so one stays open across its restarts): what opens
    /// a server once servers start closed.
    public var openedServers: Set<TreeExpansion.ServerName> = []
    /// Set for good once a shown poll has more than `TreeExpansion.serversStartClosedAbove` gateway
    /// connections: from then on servers are closed unless opened.
    public var serversStartClosed = false
    /// Samples a new series keeps in a mesh of `connections`: the history window, or what the budget
    /// allows, at least 10.
    public func historyCapacity(connections: Int) -> Int {
        capacity(budget: historyBudgetBytes, bytesPerSample: ConnectionHistory.bytesPerConnection(capacity: 1), count: connections)
    }

    /// Samples a new cluster pair's series keeps among `pairs` of them.
    public func pairHistoryCapacity(pairs: Int) -> Int {
        capacity(budget: pairHistoryBudgetBytes, bytesPerSample: PairHistory.bytesPerPair(capacity: 1), count: pairs)
    }

    /// The history window, or what `budget` allows `count` owners of `bytesPerSample` each, at least 10.
    private func capacity(budget: Int, bytesPerSample: Int, count: Int) -> Int {
        max(10, min(historyLength, budget / max(1, bytesPerSample * count)))
    }

    public var expansion: TreeExpansion {
        TreeExpansion(collapsed: collapsed, openedServers: openedServers, serversStartClosed: serversStartClosed)
    }
    public var selection: RowID?
    public var scrollOffset = 0
    public var problemSelection = 0
    public var problemScroll = 0
    public var detailScroll = 0
    public var eventScroll = 0
    /// Typing a time to jump to (replay `J`).
    public var editingJump = false
    public var jumpText = ""
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

    /// The endpoint whose accounts the dashboard shows, or is about to: the server of the connection
    /// under the cursor in the tree, or of the connection the detail pane shows (the only place accounts
    /// are shown). The live dashboard asks this server's accounts at every poll and nobody else's; nil
    /// anywhere else (a cluster or server row, the matrix, the events, help) and for a server not polled.
    public var accountsServerURL: String? {
        let row: RowID?
        switch mainView {
        case .tree: row = selection
        case .detail(let id): row = id
        case .matrix, .help, .events: row = nil
        }
        guard case .connection(let key, _, _, _) = row, let model else { return nil }
        return model.servers.first { serverKey($0) == key }?.url
    }
    public var themeName: String { themeNames[themeIndex] }
    public var model: Supercluster? { shown?.model }
    public var problems: [Problem] { shown?.problems ?? [] }

    /// Events that match the filter, newest first (what the events view lists).
    public var visibleEvents: [MeshEvent] {
        let needle = filter.lowercased()
        let matching = needle.isEmpty ? events : events.filter { event in
            event.message.lowercased().contains(needle) || event.kind.rawValue.contains(needle)
                || (event.gid.map { "gid:\($0)".contains(needle) } ?? false)
                || (event.previousGid.map { "gid:\($0)".contains(needle) } ?? false)
        }
        return EventsView.newestFirst(matching)
    }

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

/// Memo for `DashboardState.rows`. A reference, so the non-mutating `rows` can fill it; copies of a
/// state share it, and the signature tells each whether the stored rows are its own.
final class RowsCache: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    struct Signature: Equatable {
        var shownVersion: Int
        var expansion: TreeExpansion
        var filter: String
        var sort: SortKey
    }

    private let lock = NSLock()
    private var signature: Signature?
    private var rows: [TreeRow] = []

    func rows(for signature: Signature, build: () -> [TreeRow]) -> [TreeRow] {
        if let cached = lock.withLock({ self.signature == signature ? rows : nil }) { return cached }
        let built = build()
        lock.withLock {
            self.signature = signature
            rows = built
        }
        return built
    }
}

/// Memo for `DashboardState.summary`: the header's counts, computed once per shown poll rather than
/// on every frame (they walk every server's expected and missing gateways).
final class SummaryCache: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var version: Int?
    private var summary: MeshSummary?

    func summary(for version: Int, build: () -> MeshSummary) -> MeshSummary {
        if let cached = lock.withLock({ self.version == version ? summary : nil }) { return cached }
        let built = build()
        lock.withLock {
            self.version = version
            summary = built
        }
        return built
    }
}

extension DashboardState {
    /// The header's counts for what is on screen.
    public var summary: MeshSummary? {
        guard let model else { return nil }
        return summaryCache.summary(for: shownVersion) { MeshSummary(model, problems: problems) }
    }
}
