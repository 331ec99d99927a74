import MonitorModel
import Testing
@testable import TerminalUI
import Topology

/// Polls on top of the recorded healthy mesh in which one outbound connection reconnects (a new gid
/// each time), with the events the detector derives, fed to the dashboard as the runner does.
func reconnectingState(reconnects: Int, width: Int = 120, height: Int = 40) throws -> (DashboardState, RowID) {
    var state = try recordedState("healthy", width: width, height: height)
    press(&state, .down, .down)
    guard case .connection(let key, let direction, let remote, let firstGid) = state.selection! else {
        throw TestFailure("row 3 is not a connection")
    }
    var previous = try #require(state.model)
    var previousProblems = state.problems
    var gid = firstGid
    for round in 1...reconnects {
        var model = previous
        model.time = MonitorTime(seconds: 1_800_000_002 + Int64(round) * 5)
        model.pollSequence += 1
        gid += 1000
        for c in model.clusters.indices {
            for s in model.clusters[c].servers.indices where serverKey(model.clusters[c].servers[s]) == key {
                for l in model.clusters[c].servers[s].outbound.indices where model.clusters[c].servers[s].outbound[l].remoteCluster == remote {
                    model.clusters[c].servers[s].outbound[l].gid = gid
                }
            }
        }
        let problems = MeshDiagnosis.diagnose(model, previous: previous)
        let events = MeshEventDetector.events(from: previous, previousProblems, to: model, problems)
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: model, problems: problems, receivedAt: model.time, duration: 0.01, events: events)))
        _ = DashboardUpdate.update(&state, .tick(model.time))
        previous = model
        previousProblems = problems
    }
    return (state, .connection(serverKey: key, direction: direction, remoteCluster: remote, gid: gid))
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite struct EventsViewTests {
    @Test func eventsPaneListsNewestFirstAndFilters() throws {
        var (state, _) = try reconnectingState(reconnects: 3)
        #expect(state.events.filter { $0.kind == .gatewayReconnected }.count == 3)
        press(&state, .character("e"))
        #expect(state.mainView == .events)
        var screen = DashboardView.render(state)
        try assertSnapshot(screen, named: "events-120x40")
        let lines = screen.lines.filter { $0.contains("▲ gateway_reconnected") }
        #expect(lines.count == 3)
        // Newest first.
        let newest = try #require(state.visibleEvents.first)
        #expect(newest.time == state.events.last?.time)
        #expect(lines.first?.contains("gid:\(newest.gid!)") == true)

        press(&state, .character("/"))
        type(&state, "gid:" + String(newest.gid!))
        press(&state, .enter)
        #expect(state.mainView == .events, "the filter stays on the events view")
        screen = DashboardView.render(state)
        #expect(screen.text.contains("Events: 1 of \(state.events.count) matching"))
        press(&state, .escape)
        #expect(state.mainView == .tree)
    }

    @Test func emptyTimelineSaysWhy() throws {
        var state = try recordedState("healthy", width: 100, height: 30)
        state.events = []
        press(&state, .character("e"))
        #expect(DashboardView.render(state).text.contains("no events yet"))
    }

    @Test func connectionRowCountsRecentLossesAndForgetsOldOnes() throws {
        var (state, row) = try reconnectingState(reconnects: 3)
        let line = try #require(DashboardView.render(state).lines.first { $0.contains(">") && $0.contains("↻3") })
        #expect(line.contains("gid:"))
        #expect(state.selection == row)
        // Ten minutes later without a loss, the counter is gone.
        var model = try #require(state.model)
        model.time = MonitorTime(seconds: model.time.seconds + 601)
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: model, problems: state.problems, receivedAt: model.time, duration: 0.01)))
        #expect(!DashboardView.render(state).text.contains("↻"))
    }

    @Test func drillDownShowsTheConnectionsOwnEvents() throws {
        var (state, _) = try reconnectingState(reconnects: 2, width: 120, height: 60)
        press(&state, .enter)
        let text = DashboardView.render(state).text
        #expect(text.contains("Events (newest first"))
        #expect(text.contains("reconnected: gid:"))
        #expect(text.contains("2 times (reconnects and disconnects)"))
        #expect(text.contains("Pending bytes"))
    }

    @Test func asciiModeCountsWithATilde() throws {
        var (state, _) = try reconnectingState(reconnects: 2)
        state.glyphs = .ascii
        let text = DashboardView.render(state).text
        #expect(text.contains("~2"))
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII })
    }
}

@Suite struct ReplayDashboardTests {
    func replayState(width: Int = 80, height: Int = 24) throws -> DashboardState {
        var state = try recordedState("healthy", width: width, height: height)
        let time = try #require(state.model?.time)
        _ = DashboardUpdate.update(&state, .replayStatus(ReplayStatus(
            position: 36, count: 240, time: time, start: MonitorTime(seconds: time.seconds - 36), end: MonitorTime(seconds: time.seconds + 203),
            speed: 4)))
        return state
    }

    @Test func headerSaysReplayWithTheRecordedTime() throws {
        let state = try replayState()
        let screen = DashboardView.render(state)
        try assertSnapshot(screen, named: "replay-80x24")
        let stamp = state.replay!.time.rfc3339
        #expect(screen.lines[1].hasPrefix(" REPLAY \(stamp.prefix(10)) \(stamp.dropFirst(11).prefix(8)) UTC ×4 37/240"))
        #expect(screen.lines.last!.contains("? help"))
    }

    /// What a key did is read in the footer even when the key hints alone would fill it: the event `n`
    /// jumped to, whole at 120 columns, cut with an ellipsis at 80, and "? help" still there.
    @Test func statusMessageIsShownBeforeTheKeyHints() throws {
        let message = "event: c1 (central) at http://127.0.0.1:23208 stopped answering: connection refused"
        for (width, whole) in [(120, true), (80, false)] {
            var state = try replayState(width: width, height: 30)
            _ = DashboardUpdate.update(&state, .status(message))
            let footer = try #require(DashboardView.render(state).lines.last)
            #expect(footer.contains("? help"), "\(footer)")
            #expect(footer.count <= width)
            if whole {
                #expect(footer.contains(" " + message), "\(footer)")
            } else {
                #expect(footer.contains("event: c1 (central) at http://127.0.0.1:232"), "\(footer)")
                #expect(footer.trimmingCharacters(in: .whitespaces).hasSuffix("…"), "\(footer)")
            }
        }
    }

    @Test func replayKeysBecomeReplayCommands() throws {
        var state = try replayState()
        #expect(press(&state, .character(" ")) == [.replay(.togglePause)])
        #expect(press(&state, .character("p")) == [.replay(.togglePause)])
        #expect(press(&state, .character("]")) == [.replay(.stepForward)])
        #expect(press(&state, .character("[")) == [.replay(.stepBack)])
        #expect(press(&state, .character(">")) == [.replay(.faster)])
        #expect(press(&state, .character("<")) == [.replay(.slower)])
        #expect(press(&state, .character("n")) == [.replay(.nextEvent)])
        #expect(press(&state, .character("N")) == [.replay(.previousEvent)])
        #expect(press(&state, .character("J")).isEmpty)
        #expect(state.editingJump)
        #expect(DashboardView.render(state).lines.last!.contains("jump to"))
        type(&state, "+90s")
        #expect(press(&state, .enter) == [.replay(.jump("+90s"))])
        #expect(!state.editingJump)
        press(&state, .character("J"))
        type(&state, "x")
        #expect(press(&state, .escape).isEmpty && !state.editingJump)
        // Outside replay the same keys keep their live meaning.
        var live = try recordedState("healthy", width: 80, height: 24)
        #expect(press(&live, .character("p")).isEmpty && live.paused)
        #expect(press(&live, .character("J")).isEmpty && !live.editingJump)
    }

    @Test func recordingIsShownInTheHeader() throws {
        var state = try recordedState("healthy", width: 100, height: 30)
        state.recordingTo = "mesh.gwtoprec"
        #expect(DashboardView.render(state).lines[1].contains("● REC mesh.gwtoprec"))
        state.glyphs = .ascii
        #expect(DashboardView.render(state).lines[1].contains("* REC mesh.gwtoprec"))
    }

    /// With `--nats`, the header says which server the data comes through, and loudly when it is down.
    @Test func systemAccountConnectionIsShownInTheHeader() throws {
        var state = try recordedState("healthy", width: 120, height: 30)
        let latest = try #require(state.latest)
        state.latest?.sourceConnection = SourceConnection(text: "via e2", isUp: true)
        #expect(DashboardView.render(state).lines[1].contains("cycle \(Units.duration(latest.duration))  via e2"))
        state.latest?.sourceConnection = SourceConnection(text: "NATS reconnecting: nats://10.0.0.1:4222: connection refused", isUp: false)
        let frame = DashboardView.render(state)
        #expect(frame.lines[1].contains("✗ NATS reconnecting: nats://10.0.0.1:4222: connection"), "\(frame.lines[1])")
        let start = try #require(frame.lines[1].range(of: "NATS reconnecting"))
        let column = frame.lines[1].distance(from: frame.lines[1].startIndex, to: start.lowerBound)
        #expect(frame[column, 1].role == .stale)
        state.latest?.sourceConnection = nil
        #expect(!DashboardView.render(state).lines[1].contains("NATS"))
    }

    @Test func replayClockIsTheRecordedTime() throws {
        var state = try replayState()
        let recorded = state.now
        _ = DashboardUpdate.update(&state, .tick(MonitorTime(seconds: 2_000_000_000)))
        #expect(state.now == recorded)
    }

    @Test func helpInReplayListsTheReplayKeys() throws {
        var state = try replayState()
        press(&state, .character("?"))
        let text = DashboardView.render(state).text
        for binding in KeyMap.bindings(replay: true) { #expect(text.contains(binding.help), "\(binding.action)") }
    }

    @Test func resetReplacesTheTimelineAndHistories() throws {
        var (state, _) = try reconnectingState(reconnects: 2)
        #expect(!state.history.isEmpty && state.events.count >= 2)
        _ = DashboardUpdate.update(&state, .replayReset(events: []))
        #expect(state.history.isEmpty && state.events.isEmpty)
    }
}
