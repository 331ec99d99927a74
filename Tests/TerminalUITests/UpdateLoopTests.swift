import GwtopConfig
import MonitorModel
import SyntheticMesh
@testable import TerminalUI
import TestSupport
import Testing
import Topology

@Suite struct UpdateLoopTests {
    func selectedRow(_ state: DashboardState) -> TreeRow? { state.rows.first { $0.id == state.selection } }

    @Test func firstPollSelectsTheFirstRow() throws {
        let state = try recordedState("healthy", width: 120, height: 40)
        #expect(state.selection == .cluster("central"))
    }

    @Test func navigationMovesAndClamps() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        press(&state, .up)
        #expect(state.selection == .cluster("central"))
        press(&state, .down, .character("j"))
        #expect(state.rows.firstIndex { $0.id == state.selection } == 2)
        press(&state, .end)
        #expect(state.selection == state.rows.last?.id)
        press(&state, .home)
        #expect(state.selection == state.rows.first?.id)
        press(&state, .pageDown)
        #expect(state.rows.firstIndex { $0.id == state.selection } == min(state.layout.treeRows - 2, state.rows.count - 1))
    }

    @Test func collapseAndExpand() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        let all = state.rows.count
        press(&state, .left)
        #expect(state.collapsed.contains(.cluster("central")))
        #expect(state.rows.count < all)
        press(&state, .right)
        #expect(state.rows.count == all)
        // ← on a leaf goes to its parent.
        press(&state, .down, .down, .left)
        if case .server = state.selection! {} else { Issue.record("expected the parent server, got \(state.selection!)") }
    }

    @Test func filterKeepsAncestorsOfMatches() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        press(&state, .character("/"))
        #expect(state.editingFilter)
        let gid = try #require(state.model?.servers.first { $0.name == "e1" }?.outbound(to: "west")?.gid)
        type(&state, "gid:\(gid)")
        let rows = state.rows
        #expect(rows.contains { if case .cluster("east") = $0.id { true } else { false } })
        #expect(rows.contains { $0.id.serverKey != nil })
        #expect(rows.allSatisfy { row in
            switch row.kind(in: state.model!) {
            case .connection(_, let link): link.gid == gid
            case .missing: false
            default: true
            }
        })
        press(&state, .enter)
        #expect(!state.editingFilter && state.filter == "gid:\(gid)")
        press(&state, .escape)
        #expect(state.filter.isEmpty)
    }

    @Test func filterByRemoteClusterAndNoMatch() throws {
        var state = try recordedState("broken", width: 120, height: 40)
        press(&state, .character("/"))
        type(&state, "ghost")
        #expect(state.rows.contains { if case .missing(_, "ghost") = $0.id { true } else { false } })
        type(&state, "zzz")
        #expect(state.rows.isEmpty)
        #expect(DashboardView.render(state).text.contains("nothing matches \"ghostzzz\""))
        press(&state, .backspace, .backspace, .backspace, .escape)
        #expect(state.filter.isEmpty && !state.editingFilter)
    }

    /// The config file's `sort` names the same orders as the `s` key goes through (its module cannot
    /// see `SortKey`).
    @Test func configuredSortOrdersAreTheDashboards() {
        #expect(GwtopConfiguration.sortOrders == SortKey.allCases.map(\.rawValue))
    }

    /// The sorted column's heading carries the marker inside its own width, whatever the order and the
    /// terminal: "OUT/s" and "UPTIME" fill theirs, and the marker used to push them over the space before.
    @Test func sortMarkerStaysInItsColumn() throws {
        for (width, height) in [(120, 40), (80, 24)] {
            for sort in SortKey.allCases {
                var state = try recordedState("healthy", width: width, height: height)
                state.sort = sort
                let heading = try #require(DashboardView.render(state).lines.first { $0.hasPrefix(" NAME") }, "\(sort) at \(width)")
                let titles = heading.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                let columns = TreeColumns(width: width - 1).placements.map(\.column)
                // Every column's title stands apart ("IN B/s" is two words), and only the sorted one is marked.
                #expect(titles.count == columns.count + (columns.contains(.inBytes) ? 1 : 0) + (columns.contains(.outBytes) ? 1 : 0),
                        "\(sort) at \(width): \(heading)")
                // Health has no column, and uptime's is left out at 80 columns.
                let shown = DashboardView.sortColumn(sort).map(columns.contains) ?? false
                #expect(heading.filter { $0 == "▼" }.count == (shown ? 1 : 0), "\(sort) at \(width): \(heading)")
                switch sort {
                case .rate: #expect(titles.contains("OUT▼") && titles.contains("IN/s"), "\(heading)")
                case .uptime where columns.contains(.uptime): #expect(titles.contains("UPTIM▼"), "\(heading)")
                case .rtt: #expect(titles.contains("RTT▼"))
                case .name: #expect(titles.first == "NAME▼")
                default: break
                }
            }
        }
        #expect(DashboardView.titleWithSortMarker("OUT/s", marker: "v", width: 5) == "OUTv")
        #expect(DashboardView.titleWithSortMarker("PEND", marker: "▼", width: 6) == "PEND▼")
        #expect(DashboardView.titleWithSortMarker("UPTIME", marker: "▼", width: 6) == "UPTIM▼")
    }

    @Test func sortCyclesAndOrdersConnections() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        press(&state, .character("s"), .character("s"))
        #expect(state.sort == .rate)
        // Under c1, the busiest inbound (w1 → c1 at ~20 msgs/s) comes first among inbound rows.
        let c1Inbound = state.rows.compactMap { row -> GatewayLink? in
            if case .connection(let server, let link) = row.kind(in: state.model!), server.name == "c1", link.direction == .inbound { return link }
            return nil
        }
        let totals = c1Inbound.map { ($0.rates?.inMsgs ?? 0) + ($0.rates?.outMsgs ?? 0) }
        #expect(totals == totals.sorted(by: >))
        press(&state, .character("s"), .character("s"), .character("s"), .character("s"))
        #expect(state.sort == .name)
        press(&state, .character("s"))
        #expect(state.sort == .health && state.statusMessage?.hasPrefix("sort by health") == true)
    }

    @Test func drillDownAndBack() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        press(&state, .down, .down, .enter)
        guard case .detail(.connection) = state.mainView else { Issue.record("\(state.mainView)"); return }
        press(&state, .down, .down)
        #expect(state.detailScroll == 2)
        press(&state, .escape)
        #expect(state.mainView == .tree)
        // → on an expanded row drills in too.
        press(&state, .right)
        if case .detail = state.mainView {} else { Issue.record("→ should drill in") }
    }

    @Test func pauseFreezesTheScreenButNotPolling() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        press(&state, .character("p"))
        #expect(state.paused)
        let frozen = state.shown?.model.pollSequence
        let next = SuperclusterBuilder.build(poll: try Fixtures.poll(topology: "broken", number: 1), previous: nil)
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: next, problems: [], receivedAt: MonitorTime(seconds: 1_800_000_003), duration: 0)))
        #expect(state.shown?.model.pollSequence == frozen)
        #expect(state.latest?.model.clusters.count == 5)
        #expect(DashboardView.render(state).text.contains("PAUSED"))
        press(&state, .character("p"))
        #expect(state.shown?.model.clusters.count == 5)
    }

    @Test func problemsPaneJumpsToTheRow() throws {
        var state = try recordedState("broken", width: 120, height: 40)
        press(&state, .tab)
        #expect(state.focus == .problems)
        press(&state, .down, .enter)
        #expect(state.focus == .tree)
        let problem = state.problems[1]
        #expect(problem.kind == .missingOutbound)
        guard case .missing(_, let remote) = state.selection! else { Issue.record("\(state.selection!)"); return }
        #expect(remote == problem.remoteCluster)
    }

    /// A synthetic mesh's model and a dashboard fed it (`paused` first if asked).
    func largeMeshState(clusters: Int, servers: Int, paused: Bool = false) -> (DashboardState, Supercluster, SyntheticMesh) {
        let start = 1_800_000_000.0
        let mesh = SyntheticMesh(clusters: clusters, serversPerCluster: servers, startedAt: start - 3600)
        let model = SuperclusterBuilder.build(poll: mesh.poll(at: start, sequence: 1), previous: nil)
        var state = DashboardState(width: 120, height: 40, interval: 1, glyphs: .unicode, themeNames: ["default"], now: model.time)
        if paused { press(&state, .character("p")) }
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: model, problems: [], receivedAt: model.time, duration: 0.1)))
        return (state, model, mesh)
    }

    func isServer(_ row: TreeRow) -> Bool { if case .server = row.id { true } else { false } }

    /// Above 1,000 connections the tree opens on the clusters and their servers, not on one server's
    /// connections filling the screen; 1,000 or fewer open fully, as always.
    @Test func largeMeshesOpenWithTheirServersClosed() throws {
        // 5 clusters of 25: 1,000 connections, every row open.
        let (atLimit, limitModel, _) = largeMeshState(clusters: 5, servers: 25)
        #expect(atLimit.rows.count == 5 + 125 + 1_000 && !atLimit.serversStartClosed)
        #expect(limitModel.servers.reduce(0) { $0 + $1.outbound.count + $1.inbound.count } == 1_000)
        // 5 clusters of 26: 1,040, every server closed, and drawn so.
        var (state, _, _) = largeMeshState(clusters: 5, servers: 26)
        #expect(state.rows.count == 5 + 130 && state.rows.filter(isServer).allSatisfy { !$0.isExpanded })
        let screen = DashboardView.render(state).text
        #expect(screen.contains("├▸✓ dc01-s1"), "\(screen)")
        state.glyphs = .ascii
        #expect(DashboardView.render(state).text.contains("|>+ dc01-s1"), "ASCII: > closed, + healthy")

        // → opens one (its 4 outbound and its inbound connections); ← closes it again.
        press(&state, .down, .right)
        #expect(isServer(try #require(selectedRow(state))) && selectedRow(state)?.isExpanded == true)
        let opened = try #require(state.model?.servers.first { $0.name == "dc01-s1" })
        #expect(opened.outbound.count == 4 && !opened.inbound.isEmpty)
        #expect(state.rows.count == 5 + 130 + opened.outbound.count + opened.inbound.count)
        #expect(DashboardView.render(state).text.contains("|-+ dc01-s1"))
        press(&state, .left)
        #expect(state.rows.count == 5 + 130)
        press(&state, .right)

        // Polls into a small mesh do not open the rest: once large, servers start closed for good.
        let small = try recordedState("healthy", width: 120, height: 40)
        #expect(small.collapsed.isEmpty && !small.serversStartClosed && small.rows.contains { if case .connection = $0.id { true } else { false } })
    }

    /// A closed server's row says what its connections would: that it has some, and that it is as bad as
    /// its worst (a missing one critical, a slow one a warning; an info finding leaves it ok), exactly as
    /// when it is open.
    @Test func aClosedServerIsAsBadAsItsWorstConnection() throws {
        var (state, model, _) = largeMeshState(clusters: 5, servers: 26)
        var broken = model
        broken.clusters[1].servers[0].outbound.removeFirst()  // a lost outbound: critical
        let slowServer = model.clusters[0].servers[0], learnedServer = model.clusters[0].servers[1]
        let slow = try #require(slowServer.inbound.first), learned = try #require(learnedServer.outbound.first)
        let problems = [
            Problem(.warning, .slowGateway, cluster: "dc01", server: slowServer.name, remoteCluster: slow.remoteCluster, gid: slow.gid, message: "slow"),
            Problem(.info, .implicitGateway, cluster: "dc01", server: learnedServer.name, remoteCluster: learned.remoteCluster, gid: learned.gid, message: "learned"),
        ]
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: broken, problems: problems, receivedAt: broken.time, duration: 0.1)))
        func servers(_ state: DashboardState) -> [String: String] {
            Dictionary(uniqueKeysWithValues: state.rows.filter(isServer).map { ("\($0.id)", "\($0.health) \($0.hasChildren)") })
        }
        let closed = servers(state)
        #expect(state.rows.filter(isServer).allSatisfy { !$0.isExpanded } && closed.count == 130)
        var open = state
        open.serversStartClosed = false
        #expect(open.rows.filter(isServer).allSatisfy { $0.isExpanded })
        #expect(closed == servers(open))
        func health(_ server: ServerNode) -> String? { closed["\(RowID.server(cluster: server.cluster, key: serverKey(server)))"] }
        #expect(health(slowServer) == "warning true")
        #expect(health(learnedServer) == "ok true")
        #expect(health(broken.clusters[1].servers[0]) == "critical true")
        #expect(health(model.clusters[0].servers[2]) == "ok true")
    }

    /// At 80 columns a 50-cluster mesh's server counts (o49/49 i49) do not fit the remote column: the
    /// inbound count is left out whole rather than cut to a bare "i"; a cluster's "out" likewise.
    @Test func countsTooWideForTheirColumnAreShortenedNotCut() {
        var (state, first, mesh) = largeMeshState(clusters: 50, servers: 2)
        // A second poll, for the rates the cluster rows show their counts with.
        let second = SuperclusterBuilder.build(poll: mesh.poll(at: 1_800_000_001, sequence: 2), previous: first)
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: second, problems: [], receivedAt: second.time, duration: 0.1)))
        let serverRow = { (screen: String) in screen.split(separator: "\n").first { $0.contains("dc01-s1") }.map(String.init) ?? "" }
        let wide = DashboardView.render(state).text
        #expect(serverRow(wide).contains("o49/49 i49"), "\(wide)")
        // The cluster's 98/98 does not leave room for " out" in the gid column at any width: not "98/98 ou".
        #expect(wide.contains("98/98 ") && !wide.contains("98/98 o"), "\(wide)")
        _ = DashboardUpdate.update(&state, .resize(width: 80, height: 24))
        let narrow = DashboardView.render(state).text
        let row = serverRow(narrow)
        #expect(row.contains("o49/49 ") && !row.contains(" i"), "\(row)")
        #expect(narrow.contains("98/98 ") && !narrow.contains("98/98 o"), "\(narrow)")
    }

    /// A 250-server mesh's figures are wider than a small one's: at 80 columns the header's labels get
    /// shorter so that the problem counts show whole (they were cut to "✗11 ▲"), paused or not.
    /// A 50 × 5 synthetic mesh with the gateways between dc07 and dc31 gone and dc12-s3 down, in a
    /// dashboard of the given size.
    func brokenLargeMeshState(width: Int, height: Int, polls: Int = 1) -> DashboardState {
        let start = 1_800_000_000.0
        let whole = SyntheticMesh(clusters: 50, serversPerCluster: 5, startedAt: start - 3600)
        let faults = SyntheticMesh.Faults(
            cutPairs: [.init(whole.cluster(named: "dc07")!, whole.cluster(named: "dc31")!)],
            downServers: [whole.server(named: "dc12-s3")!], from: start - 1800)
        let mesh = SyntheticMesh(clusters: 50, serversPerCluster: 5, startedAt: start - 3600, faults: faults)
        var state = DashboardState(width: width, height: height, interval: 1, glyphs: .unicode, themeNames: ["default"], now: MonitorTime(timeIntervalSince1970: start))
        var previous: Supercluster?
        for poll in 0..<polls {
            let model = SuperclusterBuilder.build(poll: mesh.poll(at: start + Double(poll), sequence: poll + 1), previous: previous)
            let problems = MeshDiagnosis.diagnose(model, previous: previous)
            _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: model, problems: problems, receivedAt: model.time, duration: 0.1)))
            previous = model
        }
        return state
    }

    /// Sorted by health, the broken clusters of 50 are on the first screen, not pages down: whole
    /// clusters worst first, then servers and connections within each, names deciding ties.
    @Test func sortByHealthPutsTheBrokenPartsOfALargeMeshFirst() throws {
        var state = brokenLargeMeshState(width: 120, height: 40)
        func clusterRows() -> [(String, Health)] {
            state.rows.compactMap { row in if case .cluster(let name) = row.id { (name, row.health) } else { nil } }
        }
        #expect(clusterRows().prefix(3).map(\.0) == ["dc01", "dc02", "dc03"])
        // The selection a few rows down, as an operator's would be: it goes to the worst, at the top.
        press(&state, .down, .down, .down)
        press(&state, .character("s"))
        #expect(state.sort == .health)
        #expect(state.selection == state.rows.first?.id && state.scrollOffset == 0)
        let clusters = clusterRows()
        // The cut pair and the unreachable endpoint (not yet known to be dc12's: an unknown group) come first.
        let critical = clusters.prefix { $0.1 == .critical }.map(\.0)
        #expect(Set(critical).isSuperset(of: ["dc07", "dc31"]) && critical.count == 3, "\(critical)")
        #expect(clusters.dropFirst(critical.count).allSatisfy { $0.1 < .critical })
        let rest = clusters.dropFirst(critical.count)
        #expect(zip(rest, rest.dropFirst()).allSatisfy { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) })
        #expect(state.rows.filter { if case .cluster = $0.id { $0.isLast } else { false } }.map(\.id) == [.cluster(clusters.last!.0)])
        let screen = DashboardView.render(state).text
        #expect(screen.contains("dc07-s1") && screen.contains("dc31-s1"), "\(screen)")

        // An opened dc07 server: its missing gateway to dc31 first, then its connections in name order.
        let model = try #require(state.model)
        let dc07s1 = try #require(state.rows.firstIndex { row in
            if case .server(let c, let s) = row.ref { model.clusters[c].servers[s].name == "dc07-s1" } else { false }
        })
        let dc07s1Row = state.rows[dc07s1].id
        state.selection = dc07s1Row
        press(&state, .right)
        let child = state.rows[dc07s1 + 1]
        guard case .missing(_, "dc31") = child.id else { Issue.record("\(child.id)"); return }
        press(&state, .character("s"))
        #expect(state.sort == .rate && clusterRows().prefix(3).map(\.0) == ["dc01", "dc02", "dc03"])

        // The cluster's and the server's details say what is wrong on their first screen, before the
        // 98 cluster pairs' traffic and the 49 configured remotes.
        for row in [RowID.cluster("dc07"), dc07s1Row] {
            state.selection = row
            press(&state, .enter)
            let detail = DashboardView.render(state).text
            #expect(detail.contains("missing_outbound") && detail.contains("to dc31"), "\(detail)")
            // And the cut pair behind it, in the server's detail too.
            #expect(detail.contains("clusters_cut") && detail.contains("no gateway between dc07 and dc31"), "\(detail)")
            // The cluster's says where to look: dc31's gateway address, as dc07 configures it.
            if row == .cluster("dc07") {
                #expect(detail.contains("Where to look") && detail.contains("can dc31's gateway port be reached (10.0.30.1:7222)?"), "\(detail)")
            }
            press(&state, .escape)
        }
    }

    /// A 50-cluster matrix does not fit 80×24 (14 columns, 19 rows): the clusters with problems come
    /// first, the legend says how much is not shown, and no rate is cut to a wrong figure.
    @Test func largeMatrixShowsTheBrokenClustersAndNoCutFigures() throws {
        var state = brokenLargeMeshState(width: 80, height: 24, polls: 2)
        press(&state, .character("m"))
        let lines = DashboardView.render(state).text.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.contains("dc07") && $0.contains("dc31") && !$0.contains("Cluster matrix") })
        #expect(header.contains("dc07") && header.contains("dc31"), "\(lines.joined(separator: "\n"))")
        let rows = lines.filter { $0.hasPrefix(" dc") }
        #expect(rows.prefix(2).map { String($0.dropFirst().prefix(4)) }.sorted() == ["dc07", "dc31"])
        #expect(lines.contains { $0.contains("clusters with problems first; 32 rows, 36 columns not shown") }, "\(lines.joined(separator: "\n"))")
        // Every figure in a cell is whole: "1.0K", "1K", "95", "-5", never "1." (a cut "1.0K").
        let figures = rows.flatMap { $0.dropFirst(7).split(separator: " ") }.filter { $0.first?.isNumber == true }
        #expect(!figures.isEmpty && figures.allSatisfy { !$0.hasSuffix(".") }, "\(figures)")
        #expect(MatrixView.rateText(1000, width: 3) == "1K" && MatrixView.rateText(999, width: 3) == "999")
        #expect(MatrixView.rateText(1500, width: 3) == "2K" && MatrixView.rateText(999_999, width: 3) == "1M")
        #expect(MatrixView.rateText(1000, width: 4) == "1.0K" && MatrixView.rateText(123_456, width: 3) == nil)
        // Too small to shorten: left out, never "0K" (an idle link); never a trap on huge values.
        #expect(MatrixView.rateText(450, width: 2) == nil && MatrixView.rateText(5.5, width: 2) == nil)
        #expect(MatrixView.rateText(1e22, width: 4) == nil && MatrixView.rateText(.infinity, width: 2) == "-")
        #expect(!figures.contains { $0.hasPrefix("0K") || $0 == "0" }, "\(figures)")
    }

    /// A cluster cut off while watched is a burst of events at one instant (at 10 × 3: 54 gateways lost,
    /// the problems raised): the timeline opens on the split, then what went, and only then recoveries.
    @Test func anEventBurstOpensOnWhatMattersMost() throws {
        let start = 1_800_000_000.0
        let whole = SyntheticMesh(clusters: 10, serversPerCluster: 3, startedAt: start - 3600)
        let dc03 = whole.cluster(named: "dc03")!
        let cuts = Set((0..<10).filter { $0 != dc03 }.map { SyntheticMesh.ClusterPair(dc03, $0) })
        let mesh = SyntheticMesh(
            clusters: 10, serversPerCluster: 3, startedAt: start - 3600,
            faults: .init(cutPairs: cuts, downServers: [whole.server(named: "dc07-s2")!], from: start + 1))
        var state = DashboardState(width: 120, height: 40, interval: 1, glyphs: .unicode, themeNames: ["default"],
                                   now: MonitorTime(timeIntervalSince1970: start))
        var previous: (Supercluster, [Problem])?
        for poll in 0..<3 {
            let model = SuperclusterBuilder.build(poll: mesh.poll(at: start + Double(poll), sequence: poll + 1), previous: previous?.0)
            let problems = MeshDiagnosis.diagnose(model, previous: previous?.0)
            let events = previous.map { MeshEventDetector.events(from: $0.0, $0.1, to: model, problems) } ?? []
            _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: model, problems: problems, receivedAt: model.time, duration: 0.1, events: events)))
            previous = (model, problems)
        }
        let shown = state.visibleEvents
        let burst = shown.filter { $0.time == MonitorTime(timeIntervalSince1970: start + 1) }
        #expect(burst.count > 54)
        #expect(burst.first?.kind == .problemRaised && burst.first?.message.contains("dc03 is cut off") == true, "\(burst.prefix(3).map(\.message))")
        let kinds = burst.map(\.kind)
        #expect((kinds.firstIndex(of: .endpointDown) ?? .max) < (kinds.firstIndex(of: .gatewayDisconnected) ?? -1))
        #expect((kinds.lastIndex(of: .gatewayDisconnected) ?? .max) < (kinds.firstIndex(of: .gatewayConnected) ?? -1))
        // Polls stay newest first.
        #expect(zip(shown, shown.dropFirst()).allSatisfy { !($0.time < $1.time) })
        // The cluster cut off has no traffic to rate, and its row still says none of its 27 outbound is up.
        // Sorted by health, it comes first: every cluster is critical (each misses its gateways to dc03),
        // and dc03 has the most wrong.
        press(&state, .character("s"))
        #expect(state.rows.first?.id == .cluster("dc03"))
        let tree = DashboardView.render(state).text.split(separator: "\n")
        #expect(tree.first { $0.contains("dc03 (3)") }?.contains("0/27") == true, "\(tree.prefix(12).joined(separator: "\n"))")
        // So does a matrix too big for the screen (10 clusters fit at 80 columns: asked directly).
        let model = try #require(state.model)
        let names = model.clusters.map(\.name)
        #expect(MatrixView.worstFirst(names, MatrixView.cells(model, problems: state.problems)).first == "dc03")
        press(&state, .character("e"))
        let screen = DashboardView.render(state).text.split(separator: "\n").map(String.init)
        #expect(screen.contains { $0.contains("mesh_split") || $0.contains("dc03 is cut off") }, "\(screen.prefix(8).joined(separator: "\n"))")

        // dc03's detail: the split first, ten of its problems and how many more, then where to look,
        // all on the first screen.
        let dc03Problems = state.problems.filter { $0.cluster == "dc03" || $0.remoteCluster == "dc03" }.count
        press(&state, .escape)
        state.selection = .cluster("dc03")
        press(&state, .enter)
        let detail = DashboardView.render(state).text
        #expect(detail.contains("mesh_split  dc03 is cut off") && detail.contains("more: Esc, then Tab, and the problems pane lists them all"), "\(detail)")
        #expect(detail.contains("Where to look") && detail.contains("can dc01's gateway port be reached"), "\(detail)")
        #expect(dc03Problems > 10 && detail.contains("… \(dc03Problems - 10) more: "), "\(dc03Problems)")
    }

    /// A mesh split in halves names no one cluster: every cluster's detail shows the split, and where to
    /// look names a cluster of the other half.
    @Test func aSplitInHalvesIsInEveryClustersDetail() throws {
        let start = 1_800_000_000.0
        let whole = SyntheticMesh(clusters: 6, serversPerCluster: 1, startedAt: start - 3600)
        let cuts = Set((0..<3).flatMap { a in (3..<6).map { SyntheticMesh.ClusterPair(a, $0) } })
        let mesh = SyntheticMesh(clusters: 6, serversPerCluster: 1, startedAt: start - 3600, faults: .init(cutPairs: cuts, from: start - 1800))
        _ = whole
        let model = SuperclusterBuilder.build(poll: mesh.poll(at: start, sequence: 1), previous: nil)
        let problems = MeshDiagnosis.diagnose(model, previous: nil)
        var state = DashboardState(width: 100, height: 40, interval: 1, glyphs: .unicode, themeNames: ["default"], now: model.time)
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: model, problems: problems, receivedAt: model.time, duration: 0.1)))
        for (cluster, other) in [("dc01", "dc04"), ("dc05", "dc01")] {
            state.selection = .cluster(cluster)
            press(&state, .enter)
            let detail = DashboardView.render(state).text
            #expect(detail.contains("mesh_split  the supercluster is split in 2 parts"), "\(detail)")
            #expect(detail.contains("can \(other)'s gateway port be reached"), "\(detail)")
            press(&state, .escape)
        }
    }

    @Test func headerCountsShowWholeAt80ColumnsOnALargeBrokenMesh() {
        var state = brokenLargeMeshState(width: 80, height: 24)
        func header() -> String {
            let line = DashboardView.render(state).text.split(separator: "\n")[0]
            return String(line[..<(line.lastIndex { $0 != " " }.map(line.index(after:)) ?? line.startIndex)])
        }
        #expect(header().hasSuffix("✗12 ▲2 i0") && header().contains("249/250"), "\(header())")
        press(&state, .character("p"))
        #expect(header().contains("✗12 ▲2 i0") && header().hasSuffix("PAUSED"), "\(header())")
        // Where there is room, the long labels stay.
        _ = DashboardUpdate.update(&state, .resize(width: 120, height: 40))
        #expect(header().contains("249/250 servers up") && header().contains(" links"), "\(header())")
    }

    /// A server opened stays open when it restarts (a new id, the same name), a filter's match stays on
    /// screen when the filter is cleared, and a problem's Enter opens the server it concerns.
    @Test func openServersAndSelectionsSurviveRestartsFiltersAndJumps() throws {
        var (state, model, mesh) = largeMeshState(clusters: 12, servers: 4)
        press(&state, .down, .right)
        let openedRows = state.rows.count
        #expect(openedRows == 12 + 48 + 22)

        // dc01-s1 restarts: a new id, the same name.
        var second = SuperclusterBuilder.build(poll: mesh.poll(at: model.time.timeIntervalSince1970 + 1, sequence: 2), previous: model)
        second.clusters[0].servers[0].id = "NRESTARTED" + String(repeating: "A", count: 46)
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: second, problems: [], receivedAt: second.time, duration: 0.1)))
        #expect(state.rows.count == openedRows, "the restarted server is still open")

        // Filter a closed server, select one of its connections, clear the filter: it stays selected, on screen.
        let closedServer = second.clusters[3].servers[2]
        #expect(!state.rows.contains { $0.id.serverKey == serverKey(closedServer) && !isServer($0) })
        press(&state, .character("/"))
        type(&state, closedServer.name)
        press(&state, .enter)
        let match = try #require(state.rows.first { row in
            if case .connection(serverKey(closedServer), _, _, _) = row.id { true } else { false }
        })
        while state.selection != match.id, state.rows.contains(where: { $0.id == match.id }) { press(&state, .down) }
        press(&state, .escape)
        #expect(state.filter.isEmpty && state.selection == match.id)
        #expect(state.rows.contains { $0.id == match.id }, "its server was opened")

        // A server of the last cluster loses an outbound link: Enter on the problem opens that server.
        let lost = second.clusters[11].servers[1].outbound.removeFirst().remoteCluster
        let problems = MeshDiagnosis.diagnose(second, previous: model).filter { $0.kind == .missingOutbound }
        #expect(problems.count == 1)
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: second, problems: problems, receivedAt: second.time, duration: 0.1)))
        press(&state, .tab, .enter)
        guard case .missing(let key, let remote) = state.selection else { Issue.record("\(String(describing: state.selection))"); return }
        #expect(remote == lost && key == serverKey(second.clusters[11].servers[1]))
        #expect(state.rows.contains { $0.id == state.selection }, "the server it concerns is open")
    }

    /// Paused before the first poll, the dashboard shows nothing; unpausing shows the large mesh closed.
    @Test func unpausingShowsALargeMeshClosedToo() throws {
        var (state, _, _) = largeMeshState(clusters: 12, servers: 4, paused: true)
        #expect(state.rows.isEmpty)
        press(&state, .character("p"))
        #expect(state.rows.count == 12 + 48)
    }

    @Test func commandsForPollingThemeAndQuit() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        #expect(press(&state, .character("r")) == [.pollNow])
        #expect(press(&state, .character("+")) == [.setInterval(2)])
        #expect(press(&state, .character("-"), .character("-")) == [.setInterval(1), .setInterval(0.5)])
        #expect(press(&state, .character("-")) == [.setInterval(0.5)])
        #expect(press(&state, .character("t")) == [.applyTheme("light")])
        #expect(press(&state, .character("q")) == [.quit])
        #expect(state.quitting)
    }

    @Test func helpClosesOnAnyKeyAndMatrixToggles() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        press(&state, .character("?"))
        #expect(state.mainView == .help)
        press(&state, .character("j"))
        #expect(state.mainView == .tree)
        press(&state, .character("?"), .character("x"))
        #expect(state.mainView == .tree, "an unbound key closes the help too")
        press(&state, .character("m"))
        #expect(state.mainView == .matrix)
        press(&state, .character("m"))
        #expect(state.mainView == .tree)
    }

    @Test func resizeKeepsTheSelectionVisible() throws {
        var state = try recordedState("broken", width: 120, height: 40)
        press(&state, .end)
        _ = DashboardUpdate.update(&state, .resize(width: 80, height: 24))
        let index = try #require(state.rows.firstIndex { $0.id == state.selection })
        #expect(index >= state.scrollOffset && index < state.scrollOffset + state.layout.treeRows)
        #expect(DashboardView.render(state).width == 80)
        _ = DashboardUpdate.update(&state, .resize(width: 40, height: 10))
        #expect(DashboardView.render(state).text.contains("terminal too small"))
    }

    @Test func reconnectKeepsTheSelectionOnTheSameLink() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        press(&state, .down, .down)
        guard case .connection(let key, let direction, let remote, let oldGid) = state.selection! else { Issue.record("not a connection"); return }
        var model = try #require(state.model)
        for c in model.clusters.indices {
            for s in model.clusters[c].servers.indices where serverKey(model.clusters[c].servers[s]) == key {
                for l in model.clusters[c].servers[s].outbound.indices where model.clusters[c].servers[s].outbound[l].remoteCluster == remote {
                    model.clusters[c].servers[s].outbound[l].gid = oldGid + 1000
                }
            }
        }
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: model, problems: [], receivedAt: MonitorTime(seconds: 1_800_000_003), duration: 0)))
        #expect(state.selection == .connection(serverKey: key, direction: direction, remoteCluster: remote, gid: oldGid + 1000))
    }

    @Test func dataAgeTurnsWarningThenCritical() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        #expect(state.dataAgeHealth == .ok)
        _ = DashboardUpdate.update(&state, .tick(MonitorTime(seconds: 1_800_000_009)))
        #expect(state.dataAgeHealth == .warning)
        _ = DashboardUpdate.update(&state, .tick(MonitorTime(seconds: 1_800_000_030)))
        #expect(state.dataAgeHealth == .critical)
        let screen = DashboardView.render(state)
        let line = screen.lines[1]
        #expect(line.contains("✗ last good poll 28s ago"))
        #expect(screen.roleLines[1].contains("t"))
    }
}

@Suite struct CellBufferTests {
    @Test func wideCharactersTakeTwoCellsAndClip() {
        var buffer = CellBuffer(width: 6, height: 1)
        let end = buffer.put("a漢b", x: 0, y: 0, role: .normal)
        #expect(end == 4)
        #expect(buffer.lines == ["a漢b  "])
        #expect(buffer[2, 0].isContinuation)
        var narrow = CellBuffer(width: 3, height: 1)
        narrow.put("ab漢", x: 0, y: 0, role: .normal)
        #expect(narrow.lines == ["ab "], "a wide character that does not fit is not half drawn")
    }

    @Test func controlCharactersNeverEnterCells() {
        var buffer = CellBuffer(width: 5, height: 1)
        buffer.put("\u{1B}[2J", x: 0, y: 0, role: .normal)
        #expect(buffer[0, 0].text == "\u{FFFD}")
    }

    @Test func sparklineScalesToPeak() {
        #expect(Sparkline.render([0, 1, 2, 4], width: 6, glyphs: .unicode) == "   ▃▅█")
        #expect(Sparkline.render([5, 5], width: 2, glyphs: .ascii) == "##")
    }

    @Test func ringKeepsTheNewest() {
        var ring = SampleRing(capacity: 3)
        for value in 1...5 { ring.append(Double(value)) }
        #expect(zip(ring.values, [3.0, 4, 5]).allSatisfy { abs($0 - $1) <= 0.00023 * (1 + $1) } && ring.count == 3)
        #expect(abs(ring.last! - 5) <= 0.00023 * 6)
        // That a ring grows to its capacity and not past it is checked on a long ring (the end of this
        // test): malloc may round an allocation up, which on a 3-sample ring was sometimes room for 12
        // samples and sometimes for 4, and made a check here fail now and then.
        // A connection's four series share one buffer, each wrapping on its own (RTT only when known).
        var history = ConnectionHistory(capacity: 3)
        #expect(history.allocatedBytes == 0 && history.messages.values.isEmpty && history.rttMilliseconds.last == nil)
        for poll in 1...5 {
            history.record(
                rates: poll == 5 ? nil : TrafficRates(inMsgs: Double(poll), outMsgs: 0, inBytes: Double(10 * poll), outBytes: 0),
                rtt: poll == 1 ? nil : Double(poll) / 1000, pendingBytes: Int64(100 * poll), poll: poll)
        }
        func near(_ values: [Double], _ expected: [Double]) -> Bool {
            values.count == expected.count && zip(values, expected).allSatisfy { abs($0 - $1) <= 0.00023 * (1 + $1) }
        }
        // Four rates (wrapped once), four RTTs from poll 2 (wrapped once, at another place), five pendings.
        #expect(near(history.messages.values, [2, 3, 4]) && near(history.bytes.values, [20, 30, 40]))
        #expect(near(history.rttMilliseconds.values, [3, 4, 5]) && history.rttMilliseconds.count == 3)
        #expect(near(history.pendingBytes.values, [300, 400, 500]) && abs(history.pendingBytes.last! - 500) < 0.2)
        #expect(history.allocatedBytes >= ConnectionHistory.bytesPerConnection(capacity: 3) && history.lastRecorded == 5)
        var long = SampleRing(capacity: 600)
        for value in 0..<600 { long.append(Double(value)) }
        #expect(long.allocatedBytes < 700 * SampleRing.bytesPerSample, "\(long.allocatedBytes) bytes for 600 samples")
    }

    /// Samples are kept as 2-byte logarithmic codes: within half a step, 0.023 % of 1 + the value, across
    /// fifteen decades (what a graph and three significant digits show cannot differ; an RTT of 1.5 ms to
    /// 0.6 µs), nothing below zero or NaN, and the top code for anything past 4.4 × 10^12.
    @Test func samplesAreKeptToAFewHundredthsOfAPercent() {
        func roundTrips(_ value: Double) -> Bool {
            abs(SampleCode.decode(SampleCode.encode(value)) - value) <= 0.00023 * (1 + value)
        }
        var value = 0.001
        while value < 4e12 {
            #expect(roundTrips(value), "\(value) came back as \(SampleCode.decode(SampleCode.encode(value)))")
            value *= 1.37
        }
        for rtt in stride(from: 0.0, through: 2.0, by: 0.0137) { #expect(roundTrips(rtt), "\(rtt)") }
        #expect(SampleCode.encode(0) == 0 && SampleCode.encode(-5) == 0 && SampleCode.encode(.nan) == 0 && SampleCode.decode(0) == 0)
        #expect(SampleCode.encode(.infinity) == .max && SampleCode.encode(1e15) == .max)
        #expect(SampleCode.encode(1e9) < SampleCode.encode(1.001e9), "order kept")
    }

    /// The history keeps the window while it fits its memory budget, and fewer samples a series in a mesh
    /// too large for it (counting the series it still holds); the drill-down's graph says how many.
    @Test func historyStaysWithinItsBudget() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        let model = try #require(state.model)
        let connections = model.servers.filter(\.reachable).reduce(0) { $0 + $1.outbound.count + $1.inbound.count }
        #expect(state.historyCapacity(connections: connections) == state.historyLength)
        #expect(state.historyCapacity(connections: 24_500) == 85)
        #expect(state.historyCapacity(connections: 3_495) == 600 && state.historyCapacity(connections: 3_500) == 599)
        #expect(state.historyCapacity(connections: 10_000_000) == 10)
        #expect(state.pairHistoryCapacity(pairs: 2_450) == 427 && state.pairHistoryCapacity(pairs: 1_747) == 600)
        // A budget for 20 samples a series: new series get 20.
        state.historyBudgetBytes = ConnectionHistory.bytesPerConnection(capacity: 20) * connections
        state.history = [:]
        for _ in 0..<3 {
            _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: model, problems: state.problems, receivedAt: model.time, duration: 0.1)))
        }
        #expect(!state.history.isEmpty && state.history.values.allSatisfy { $0.messages.capacity == 20 && $0.rttMilliseconds.count == 3 })
        // A rolling restart: every series held under an old key, the new keys made beside them. Within
        // 16 polls every series is back to its share of the budget (10 for twice the series), keeping
        // its newest samples, and the old ones go once they are 64 polls old.
        let held = state.history
        for (key, value) in held {
            state.history[SeriesKey(serverKey: key.serverKey + "-old", direction: key.direction, remoteCluster: key.remoteCluster, remoteServerID: key.remoteServer, gid: 0)] = value
            state.history[key] = nil
        }
        for _ in 0..<16 {
            _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: model, problems: state.problems, receivedAt: model.time, duration: 0.1)))
        }
        #expect(state.history.count == 2 * held.count && state.history.values.allSatisfy { $0.messages.capacity == 10 })
        #expect(state.history.values.reduce(0) { $0 + ConnectionHistory.bytesPerConnection(capacity: $1.capacity) } <= state.historyBudgetBytes)
        let shrunk = try #require(state.history.first { $0.value.lastRecorded == state.historyPolls }?.value)
        #expect(shrunk.messages.count == 10 && shrunk.pendingBytes.count == 10)

        // The drill-down of a connection says how many polls its graphs show.
        let connectionRow = try #require(state.rows.first { if case .connection = $0.id { true } else { false } })
        state.selection = connectionRow.id
        press(&state, .enter)
        #expect(DashboardView.render(state).text.contains("Messages/s (in+out), last 10 polls"))
    }

    /// A series not recorded for 64 polls is dropped (a connection gone, a server restarted under a new id),
    /// but not sooner, not while paused, and not by polls that reached no server at all.
    @Test func historyForgetsWhatIsGoneButNotTooSoon() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        state.historyLength = 200
        let model = try #require(state.model)
        var without = model
        let gone = without.clusters[0].servers.removeFirst()
        let goneKeys = state.history.keys.filter { $0.serverKey == serverKey(gone) }
        #expect(!goneKeys.isEmpty)
        func poll(_ model: Supercluster, times: Int) {
            for _ in 0..<times {
                _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: model, problems: [], receivedAt: model.time, duration: 0.1)))
            }
        }
        poll(without, times: 40)
        #expect(goneKeys.allSatisfy { state.history[$0] != nil }, "40 polls: kept for a reconnect or a quick restart")
        var nothing = model
        nothing.clusters = []
        poll(nothing, times: 200)
        poll(without, times: 16)
        #expect(goneKeys.allSatisfy { state.history[$0] != nil }, "polls that reached no server age nothing (56 polls so far)")
        press(&state, .character("p"))
        poll(without, times: 100)
        #expect(goneKeys.allSatisfy { state.history[$0] != nil }, "nothing is dropped while paused")
        press(&state, .character("p"))
        poll(without, times: 20)
        #expect(goneKeys.allSatisfy { state.history[$0] == nil }, "the missing server's series were dropped")
        #expect(state.history.keys.contains { $0.serverKey != serverKey(gone) }, "the others' were not")
    }

    @Test func columnsDropByPriority() {
        let narrow = TreeColumns(width: 79).placements.map(\.column)
        #expect(narrow.contains(.gid) && narrow.contains(.rtt) && !narrow.contains(.trend))
        let wide = TreeColumns(width: 119).placements.map(\.column)
        #expect(wide.contains(.trend) && wide.contains(.uptime))
    }
}
