import MonitorModel
import SyntheticMesh
import TerminalUI
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

    @Test func sortCyclesAndOrdersConnections() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        press(&state, .character("s"))
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

    /// At scale the tree opens on the clusters and their servers, not on one server's connections filling
    /// the screen; a server opened stays open, one new later starts collapsed, a problem's Enter opens the
    /// server it concerns, and a small mesh opens fully.
    @Test func largeMeshesOpenWithTheirServersCollapsed() throws {
        let start = 1_800_000_000.0
        // 12 clusters of 4: 2,112 connections, over the 1,000 at which servers start collapsed.
        let mesh = SyntheticMesh(clusters: 12, serversPerCluster: 4, startedAt: start - 3600)
        let first = SuperclusterBuilder.build(poll: mesh.poll(at: start, sequence: 1), previous: nil)
        var state = DashboardState(width: 120, height: 40, interval: 1, glyphs: .unicode, themeNames: ["default"], now: first.time)
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: first, problems: [], receivedAt: first.time, duration: 0.1)))
        func isServer(_ row: TreeRow) -> Bool { if case .server = row.id { true } else { false } }
        #expect(state.rows.count == 12 + 48)
        #expect(state.rows.filter(isServer).count == 48 && state.rows.allSatisfy { !$0.isExpanded || !isServer($0) })
        // Closed servers say so on their branch.
        let screen = DashboardView.render(state).text
        #expect(screen.contains("├▸✓ dc01-s1") && screen.contains("└▸✓ dc01-s4"), "\(screen)")

        press(&state, .down, .right)
        let opened = try #require(state.selection)
        #expect(isServer(try #require(selectedRow(state))) && selectedRow(state)?.isExpanded == true)
        #expect(state.rows.count == 12 + 48 + 11 + 11, "one server's 11 outbound and 11 inbound connections")
        #expect(DashboardView.render(state).text.contains("├─✓ dc01-s1"))

        // A thirteenth cluster: its servers are new and start collapsed; the one opened stays open.
        let grown = SyntheticMesh(clusters: 13, serversPerCluster: 4, startedAt: start - 3600)
        var second = SuperclusterBuilder.build(poll: grown.poll(at: start + 1, sequence: 2), previous: first)
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: second, problems: [], receivedAt: second.time, duration: 0.1)))
        #expect(state.selection == opened)
        #expect(state.rows.count == 13 + 52 + 12 + 12)

        // A server of the last cluster loses an outbound link: Enter on the problem opens that server.
        let lastCluster = try #require(second.clusters.lastIndex { !$0.servers.isEmpty })
        let lost = second.clusters[lastCluster].servers[0].outbound.removeFirst().remoteCluster
        let problems = MeshDiagnosis.diagnose(second, previous: first).filter { $0.kind == .missingOutbound }
        #expect(problems.count == 1)
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: second, problems: problems, receivedAt: second.time, duration: 0.1)))
        press(&state, .tab, .enter)
        guard case .missing(let key, let remote) = state.selection else { Issue.record("\(String(describing: state.selection))"); return }
        #expect(remote == lost && key == serverKey(second.clusters[lastCluster].servers[0]))
        #expect(state.rows.contains { $0.id == state.selection }, "the server it concerns is open")

        // A small mesh opens fully.
        let small = try recordedState("healthy", width: 120, height: 40)
        #expect(small.collapsed.isEmpty && small.rows.contains { if case .connection = $0.id { true } else { false } })
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
        #expect(ring.values == [3, 4, 5])
        #expect(ring.last == 5)
    }

    @Test func columnsDropByPriority() {
        let narrow = TreeColumns(width: 79).placements.map(\.column)
        #expect(narrow.contains(.gid) && narrow.contains(.rtt) && !narrow.contains(.trend))
        let wide = TreeColumns(width: 119).placements.map(\.column)
        #expect(wide.contains(.trend) && wide.contains(.uptime))
    }
}
