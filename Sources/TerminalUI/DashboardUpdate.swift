import Foundation
import MonitorModel
public import Topology

/// Screen geometry derived from the state: where the tree, the problems and the footer go.
public struct DashboardLayout: Sendable, Equatable {
    public static let minimumWidth = 64
    public static let minimumHeight = 16

    public var header: Rect
    public var main: Rect
    public var problems: Rect
    public var footer: Rect
    public var tooSmall: Bool

    public init(width: Int, height: Int, problemCount: Int, showProblems: Bool) {
        tooSmall = width < Self.minimumWidth || height < Self.minimumHeight
        let screen = Rect(x: 0, y: 0, width: width, height: height)
        let (header, afterHeader) = screen.top(2)
        let (body, footer) = afterHeader.bottom(1)
        let problemRows = showProblems ? min(max(problemCount, 1) + 1, max(3, body.height / 3)) : 0
        let (main, problems) = body.bottom(problemRows)
        self.header = header
        self.main = main
        self.problems = problems
        self.footer = footer
    }

    /// Rows of the tree below its column headings.
    public var treeRows: Int { max(0, main.height - 1) }
}

extension DashboardState {
    public var layout: DashboardLayout {
        DashboardLayout(width: width, height: height, problemCount: problems.count, showProblems: mainView == .tree)
    }

    public var rows: [TreeRow] {
        guard let model else { return [] }
        let expansion = expansion
        let signature = RowsCache.Signature(shownVersion: shownVersion, expansion: expansion, filter: filter, sort: sort)
        return rowsCache.rows(for: signature) {
            TreeRowBuilder.rows(model: model, problems: problems, expansion: expansion, filter: filter, sort: sort)
        }
    }
}

/// The update loop's pure step: a message in, the next state and the effects to perform out.
public enum DashboardUpdate {
    public static let intervalSteps: [Double] = [0.5, 1, 2, 5, 10, 15, 30, 60]

    public static func update(_ state: inout DashboardState, _ message: DashboardMessage) -> [DashboardCommand] {
        switch message {
        case .tick(let now):
            // A replay's clock is the recorded time, which the replay status carries.
            if state.replay == nil { state.now = now }
            return []
        case .resize(let width, let height):
            state.width = width
            state.height = height
            clampScroll(&state)
            return []
        case .poll(let update):
            receive(update, into: &state)
            return []
        case .key(let key):
            return handle(key, &state)
        case .replayReset(let events):
            state.history = [:]
            state.pairHistory = [:]
            state.events = Array(events.suffix(DashboardState.eventLimit))
            state.lastGoodPollAt = nil
            state.eventScroll = 0
            return []
        case .replayStatus(let status):
            state.replay = status
            state.now = status.time
            return []
        case .status(let message):
            state.statusMessage = message
            return []
        }
    }

    /// Ties connection events to tree rows: the reporting server, the side, the remote cluster and,
    /// for inbound connections, the remote server (each remote server dials its own).
    public static func flapKey(serverID: String?, direction: GatewayDirection?, remoteCluster: String?, remoteServerID: String?) -> String {
        let side = direction?.rawValue ?? "?"
        let remote = direction == .inbound ? "|" + (remoteServerID ?? "") : ""
        return "\(serverID ?? "")|\(side)|\(remoteCluster ?? "")" + remote
    }

    public static func flapKey(_ server: ServerNode, _ link: GatewayLink) -> String {
        flapKey(serverID: server.id, direction: link.direction, remoteCluster: link.remoteCluster, remoteServerID: link.remoteServerID)
    }

    /// The connection a connection event is about, in the same terms as a tree row.
    public static func flapKey(_ event: MeshEvent) -> String {
        flapKey(serverID: event.serverID, direction: event.direction, remoteCluster: event.remoteCluster, remoteServerID: event.remoteServerID)
    }

    static func countRecentConnectionLosses(_ events: [MeshEvent], now: MonitorTime) -> [String: Int] {
        var counts: [String: Int] = [:]
        // Newest last: walk back until the window ends.
        for event in events.reversed() {
            if now.seconds(since: event.time) > DashboardState.flapWindow { break }
            guard event.isConnectionLoss else { continue }
            counts[flapKey(event), default: 0] += 1
        }
        return counts
    }

    static func receive(_ update: PollUpdate, into state: inout DashboardState) {
        state.latest = update
        state.now = max(state.now, update.receivedAt)
        if update.model.servers.contains(where: \.reachable) { state.lastGoodPollAt = update.receivedAt }
        // History and events keep growing while paused: pausing freezes the screen, not the record.
        let connections = update.model.connectionCount
        let capacity = state.historyCapacity(connections: max(connections, state.history.count))
        // Only polls that reached a server age the series: an outage of the dashboard's own network
        // must not wipe every history.
        if connections > 0 { state.historyPolls += 1 }
        let poll = state.historyPolls
        for cluster in update.model.clusters {
            for server in cluster.servers where server.reachable {
                state.history.record(server: serverKey(server), server.outbound, server.inbound, capacity: capacity, poll: poll)
            }
        }
        let pairCapacity = state.pairHistoryCapacity(pairs: max(update.model.pairs.count, state.pairHistory.count))
        for pair in update.model.pairs {
            state.pairHistory[PairHistory.key(pair), default: PairHistory(capacity: pairCapacity)].record(pair)
        }
        if connections > 0 { pruneHistory(&state) }
        if !update.events.isEmpty {
            state.events += update.events
            if state.events.count > DashboardState.eventLimit {
                state.events.removeFirst(state.events.count - DashboardState.eventLimit)
            }
        }
        state.recentConnectionLosses = countRecentConnectionLosses(state.events, now: update.model.time)
        guard !state.paused else { return }
        show(update, &state)
    }

    /// Polls a series may go unrecorded before it is dropped (or the whole window, if shorter): long enough
    /// for a reconnect or a quick restart to continue it, short enough that a rolling restart's old series
    /// (every key new) do not hold the budget for long.
    public static let historyGracePolls = 64

    /// Drops the series not recorded for `historyGracePolls` polls (connections gone, servers restarted under
    /// new ids), looked at every 16 polls, and never while paused (the frozen screen may still show them):
    /// without it a long run's restarts and reconnects to new remotes would keep every series they had.
    static func pruneHistory(_ state: inout DashboardState) {
        guard !state.paused, state.historyPolls % 16 == 0 else { return }
        let oldest = state.historyPolls - min(state.historyLength, historyGracePolls)
        let stale = state.history.compactMap { $0.value.lastRecorded > oldest ? nil : $0.key }
        for key in stale { state.history.removeValue(forKey: key) }
        // Series made while fewer were held (a first poll that reached half the servers, a rolling
        // restart's new keys beside the old) may hold more than their share: brought back to it.
        let target = state.historyCapacity(connections: state.history.count)
        let held = state.history.values.reduce(0) { $0 + $1.capacity }
        guard held > target * state.history.count + target * state.history.count / 10 else { return }
        for key in Array(state.history.keys) where state.history[key]!.capacity > target {
            state.history[key] = state.history[key]!.resized(to: target)
        }
    }

    /// Puts a poll on screen (a new one, or the latest when unpausing), keeping the selection.
    static func show(_ update: PollUpdate, _ state: inout DashboardState) {
        let previousRows = state.rows
        if !state.serversStartClosed {
            state.serversStartClosed = update.model.connectionCount > TreeExpansion.serversStartClosedAbove
        }
        state.shown = update
        keepSelection(&state, previousRows: previousRows)
    }

    /// After a refresh: keep the same row; a reconnected connection keeps its place under its new gid;
    /// a vanished row hands the selection to its server, or to the row now at the same position.
    static func keepSelection(_ state: inout DashboardState, previousRows: [TreeRow]) {
        let rows = state.rows
        guard !rows.isEmpty else { state.selection = nil; return }
        guard let selected = state.selection else {
            state.selection = rows.first?.id
            clampScroll(&state, rows: rows)
            return
        }
        if rows.contains(where: { $0.id == selected }) { clampScroll(&state, rows: rows); return }
        if case .connection(let key, let direction, let remote, _) = selected,
            let successor = rows.first(where: {
                if case .connection(key, direction, remote, _) = $0.id { return true }
                return false
            })
        {
            state.selection = successor.id
        } else if let key = selected.serverKey, let server = rows.first(where: {
            if case .server(_, key) = $0.id { return true }
            return false
        }) {
            state.selection = server.id
        } else {
            let oldIndex = previousRows.firstIndex { $0.id == selected } ?? 0
            state.selection = rows[min(oldIndex, rows.count - 1)].id
        }
        clampScroll(&state, rows: rows)
    }

    /// `rows`: the visible rows when the caller has just built them (selection changes do not change
    /// them), so they are not rebuilt.
    static func clampScroll(_ state: inout DashboardState, rows knownRows: [TreeRow]? = nil) {
        let rows = knownRows ?? state.rows
        let visible = max(1, state.layout.treeRows)
        let index = rows.firstIndex { $0.id == state.selection } ?? 0
        if index < state.scrollOffset { state.scrollOffset = index }
        if index >= state.scrollOffset + visible { state.scrollOffset = index - visible + 1 }
        state.scrollOffset = max(0, min(state.scrollOffset, max(0, rows.count - visible)))
        state.problemSelection = max(0, min(state.problemSelection, state.problems.count - 1))
    }

    static func handle(_ key: Key, _ state: inout DashboardState) -> [DashboardCommand] {
        state.statusMessage = nil
        if state.editingFilter { return editFilter(key, &state) }
        if state.editingJump { return editJump(key, &state) }
        let action = KeyMap.action(for: key, replay: state.replay != nil)
        // Any key closes the help, bound or not (q still quits).
        if state.mainView == .help && action != .quit && key != .resize {
            state.viewStack.removeLast()
            return []
        }
        guard let action else { return [] }
        switch action {
        case .quit:
            state.quitting = true
            return [.quit]
        case .help:
            state.viewStack.append(.help)
        case .back:
            if state.viewStack.count > 1 {
                state.viewStack.removeLast()
                state.detailScroll = 0
            } else if !state.filter.isEmpty {
                state.filter = ""
                revealSelection(&state)
            } else if state.focus == .problems {
                state.focus = .tree
            }
        case .matrix:
            toggle(.matrix, &state)
        case .events:
            toggle(.events, &state)
            state.eventScroll = 0
        case .replayPause: return [.replay(.togglePause)]
        case .replaySlower: return [.replay(.slower)]
        case .replayFaster: return [.replay(.faster)]
        case .replayStepBack: return [.replay(.stepBack)]
        case .replayStepForward: return [.replay(.stepForward)]
        case .replayNextEvent: return [.replay(.nextEvent)]
        case .replayPreviousEvent: return [.replay(.previousEvent)]
        case .replayJump:
            state.editingJump = true
            state.jumpText = ""
        case .nextPane:
            if state.mainView == .tree && !state.problems.isEmpty {
                state.focus = state.focus == .tree ? .problems : .tree
            }
        case .filter:
            // The events view filters its own list; anywhere else the filter applies to the tree.
            if state.mainView != .events { state.viewStack = [.tree] }
            state.focus = .tree
            state.editingFilter = true
        case .sort:
            state.sort = state.sort.next
            state.statusMessage = state.sort == .health
                ? "sort by health: worst clusters, servers and connections first" : "sort connections by \(state.sort.rawValue)"
            // Asked for the worst first, the operator wants to see it: the selection goes to the top row
            // (kept where it was, it held the view pages below the clusters just put first).
            if state.sort == .health, let first = state.rows.first {
                state.selection = first.id
                state.scrollOffset = 0
            }
            clampScroll(&state)
        case .pause:
            state.paused.toggle()
            if !state.paused, let latest = state.latest { show(latest, &state) }
        case .pollNow:
            state.statusMessage = "polling now"
            return [.pollNow]
        case .intervalUp, .intervalDown:
            let steps = intervalSteps
            let current = steps.firstIndex { $0 >= state.interval } ?? steps.count - 1
            let next = action == .intervalUp ? min(current + 1, steps.count - 1) : max(current - 1, 0)
            state.interval = steps[next]
            state.statusMessage = "polling every \(Units.duration(state.interval))"
            return [.setInterval(state.interval)]
        case .theme:
            state.themeIndex = (state.themeIndex + 1) % state.themeNames.count
            state.statusMessage = "theme \(state.themeName)"
            return [.applyTheme(state.themeName)]
        case .moveUp, .moveDown, .pageUp, .pageDown, .home, .end:
            move(action, &state)
        case .drillIn:
            drillIn(&state)
        case .expandOrDrill:
            expandOrDrill(&state)
        case .collapse:
            collapse(&state)
        }
        return []
    }

    enum LineEdit { case submit, cancel, changed, quit, ignored }

    /// One key applied to a one-line text field (the filter, the replay time).
    static func edit(_ text: inout String, _ key: Key, limit: Int) -> LineEdit {
        switch key {
        case .enter: return .submit
        case .escape: return .cancel
        case .backspace:
            if !text.isEmpty { text.removeLast() }
            return .changed
        case .character(let character) where character.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }):
            if text.count < limit { text.append(character) }
            return .changed
        case .ctrl("c"): return .quit
        default: return .ignored
        }
    }

    static func editJump(_ key: Key, _ state: inout DashboardState) -> [DashboardCommand] {
        switch edit(&state.jumpText, key, limit: 40) {
        case .submit:
            state.editingJump = false
            let text = state.jumpText.trimmingCharacters(in: .whitespaces)
            return text.isEmpty ? [] : [.replay(.jump(text))]
        case .cancel:
            state.editingJump = false
        case .quit:
            state.quitting = true
            return [.quit]
        case .changed, .ignored:
            break
        }
        return []
    }

    static func editFilter(_ key: Key, _ state: inout DashboardState) -> [DashboardCommand] {
        switch edit(&state.filter, key, limit: 64) {
        case .submit:
            state.editingFilter = false
        case .cancel:
            state.editingFilter = false
            state.filter = ""
            revealSelection(&state)
        case .quit:
            state.quitting = true
            return [.quit]
        case .ignored:
            return []
        case .changed:
            break
        }
        let rows = state.rows
        if !rows.contains(where: { $0.id == state.selection }) {
            // Prefer the first row that itself matches, not just an ancestor kept for context.
            state.selection = rows.first(where: { row in
                if case .connection = row.id { return true }
                if case .missing = row.id { return true }
                return false
            })?.id ?? rows.first?.id
        }
        clampScroll(&state, rows: rows)
        return []
    }

    static func move(_ action: Action, _ state: inout DashboardState) {
        switch state.mainView {
        case .events:
            let page = max(1, state.layout.main.height - 2)
            let last = max(0, state.visibleEvents.count - page)
            state.eventScroll = max(0, min(moved(state.eventScroll, action, page: page, end: last), last))
            return
        case .detail:
            // The detail view clamps the scroll to its own length when it draws.
            state.detailScroll = max(0, moved(state.detailScroll, action, page: state.layout.main.height, end: state.detailScroll))
            return
        case .matrix, .help:
            return
        case .tree:
            break
        }
        if state.focus == .problems {
            let count = state.problems.count
            guard count > 0 else { return }
            let page = max(1, state.layout.problems.height - 1)
            state.problemSelection = moved(state.problemSelection, action, page: page, end: count - 1)
            state.problemSelection = max(0, min(state.problemSelection, count - 1))
            if state.problemSelection < state.problemScroll { state.problemScroll = state.problemSelection }
            if state.problemSelection >= state.problemScroll + page { state.problemScroll = state.problemSelection - page + 1 }
            return
        }
        let rows = state.rows
        guard !rows.isEmpty else { return }
        let index = rows.firstIndex { $0.id == state.selection } ?? 0
        let target = moved(index, action, page: max(1, state.layout.treeRows - 1), end: rows.count - 1)
        state.selection = rows[max(0, min(target, rows.count - 1))].id
        clampScroll(&state, rows: rows)
    }

    /// The key of a view opens it, and closes it again when it is on top.
    static func toggle(_ view: MainView, _ state: inout DashboardState) {
        if state.mainView == view { state.viewStack.removeLast() } else { state.viewStack.append(view) }
    }

    /// Where a movement key takes a position in a list (`end`: the last position).
    static func moved(_ position: Int, _ action: Action, page: Int, end: Int) -> Int {
        switch action {
        case .moveUp: position - 1
        case .moveDown: position + 1
        case .pageUp: position - page
        case .pageDown: position + page
        case .home: 0
        case .end: end
        default: position
        }
    }

    static func drillIn(_ state: inout DashboardState) {
        if state.mainView == .tree && state.focus == .problems {
            jumpToProblem(&state)
            return
        }
        guard state.mainView == .tree, let selection = state.selection else { return }
        state.viewStack.append(.detail(selection))
        state.detailScroll = 0
    }

    static func expandOrDrill(_ state: inout DashboardState) {
        guard state.mainView == .tree, state.focus == .tree, let selection = state.selection else { return }
        if let row = state.rows.first(where: { $0.id == selection }), row.hasChildren, !row.isExpanded {
            setOpen(true, selection, &state)
            clampScroll(&state)
        } else {
            drillIn(&state)
        }
    }

    static func collapse(_ state: inout DashboardState) {
        guard state.mainView == .tree, state.focus == .tree, let selection = state.selection else { return }
        let rows = state.rows
        guard let row = rows.first(where: { $0.id == selection }) else { return }
        if row.hasChildren && row.isExpanded {
            setOpen(false, selection, &state)
        } else if let index = rows.firstIndex(where: { $0.id == selection }),
            let parent = rows[..<index].last(where: { $0.depth < row.depth })
        {
            state.selection = parent.id
        }
        clampScroll(&state)
    }

    /// Opens or closes a cluster or server row (a server by name too, so it stays so across restarts).
    static func setOpen(_ open: Bool, _ id: RowID, _ state: inout DashboardState) {
        if open { state.collapsed.remove(id) } else { state.collapsed.insert(id) }
        guard case .server(let cluster, let key) = id,
            let server = state.model?.clusters.first(where: { $0.name == cluster })?.servers.first(where: { serverKey($0) == key })
        else { return }
        if open { state.openedServers.insert(TreeExpansion.ServerName(server)) } else { state.openedServers.remove(TreeExpansion.ServerName(server)) }
    }

    /// Opens the cluster and server above the selected row (after a filter that showed it is cleared,
    /// or a problem's jump), so the selection is on screen.
    static func revealSelection(_ state: inout DashboardState) {
        if let selection = state.selection, let key = selection.serverKey, let model = state.model,
            let server = model.servers.first(where: { serverKey($0) == key })
        {
            state.collapsed.remove(.cluster(server.cluster))
            if case .server = selection {} else { setOpen(true, .server(cluster: server.cluster, key: key), &state) }
        } else if case .server(let cluster, _)? = state.selection {
            state.collapsed.remove(.cluster(cluster))
        }
        clampScroll(&state)
    }

    /// Selects the tree row a problem concerns, expanding and unfiltering as needed.
    static func jumpToProblem(_ state: inout DashboardState) {
        guard state.problems.indices.contains(state.problemSelection), let model = state.model else { return }
        let problem = state.problems[state.problemSelection]
        guard let target = rowID(for: problem, in: model) else { return }
        state.filter = ""
        state.selection = target
        state.focus = .tree
        revealSelection(&state)
    }

    public static func rowID(for problem: Problem, in model: Supercluster) -> RowID? {
        let server = model.servers.first { $0.name == problem.server && (problem.cluster == nil || $0.cluster == problem.cluster) }
        if let server, let gid = problem.gid,
            let link = (server.outbound + server.inbound).first(where: { $0.gid == gid })
        {
            return .connection(serverKey: serverKey(server), direction: link.direction, remoteCluster: link.remoteCluster, gid: gid)
        }
        if let server, problem.kind == .missingOutbound, let remote = problem.remoteCluster {
            return .missing(serverKey: serverKey(server), remoteCluster: remote)
        }
        if let server { return .server(cluster: server.cluster, key: serverKey(server)) }
        if let cluster = problem.cluster { return .cluster(cluster) }
        return nil
    }
}
