import MonitorModel
@testable import TerminalUI
import TestSupport
import Testing
import Topology

@Suite struct ScreenSnapshotTests {
    @Test(arguments: [(80, 24), (120, 40)])
    func healthyMesh(width: Int, height: Int) throws {
        let state = try recordedState("healthy", width: width, height: height)
        try assertSnapshot(DashboardView.render(state), named: "healthy-\(width)x\(height)")
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func brokenMeshShowsMissingRows(width: Int, height: Int) throws {
        let state = try recordedState("broken", width: width, height: height)
        let screen = DashboardView.render(state)
        try assertSnapshot(screen, named: "broken-\(width)x\(height)")
        #expect(screen.text.contains("→ ghost"))
        #expect(screen.text.contains("MISSING outbound gateway"))
    }

    @Test func drillDownIntoAConnection() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        // central ▸ c1 ▸ first outbound
        press(&state, .down, .down, .enter)
        let screen = DashboardView.render(state)
        try assertSnapshot(screen, named: "detail-connection-120x40")
        #expect(screen.text.contains("log hint        grep 'gid:"))
        #expect(screen.text.contains("Accounts (interest)"))
    }

    /// The live dashboard asks accounts only of the server whose connection is under the cursor or in the
    /// detail pane (`AccountsScope.selected`), the only place they are shown: no cluster or server row.
    @Test func theSelectionNamesTheServerWhoseAccountsAreAsked() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        let c1 = try #require(state.model?.servers.first { $0.name == "c1" })
        #expect(c1.url != nil)
        #expect(state.accountsServerURL == nil, "the first row is a cluster")
        press(&state, .down)
        #expect(state.accountsServerURL == nil, "a server row")
        press(&state, .down)
        #expect(state.accountsServerURL == c1.url, "c1's first connection")
        press(&state, .enter)
        #expect(DashboardView.render(state).text.contains("log hint"))
        #expect(state.accountsServerURL == c1.url, "the detail pane's connection")
        press(&state, .character("m"))
        #expect(state.accountsServerURL == nil, "the matrix shows no accounts")
        press(&state, .escape, .escape)
        #expect(state.accountsServerURL == c1.url, "back on the connection")
        press(&state, .up, .up)
        #expect(state.accountsServerURL == nil)
    }

    /// A connection whose server's accounts were not asked says so, rather than "none reported".
    @Test func aConnectionWhoseAccountsWereNotAskedSaysSo() throws {
        var state = try recordedState("healthy", width: 120, height: 40)
        press(&state, .down, .down, .enter)
        #expect(!DashboardView.render(state).text.contains("not asked yet"))
        var model = try #require(state.model)
        for cluster in model.clusters.indices {
            for server in model.clusters[cluster].servers.indices { model.clusters[cluster].servers[server].accounts = [:] }
        }
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(
            model: model, problems: state.problems, receivedAt: MonitorTime(seconds: 1_800_000_003), duration: 0.01)))
        var screen = DashboardView.render(state).text
        #expect(screen.contains("Accounts (interest)") && screen.contains("not asked yet"), "\(screen)")
        #expect(!screen.contains("none reported"))
        // In a replay nothing is asked: the recording's poll had none.
        var replaying = state
        let time = MonitorTime(seconds: 1_800_000_003)
        replaying.replay = ReplayStatus(position: 0, count: 2, time: time, start: time, end: time)
        let replayed = DashboardView.render(replaying).text
        #expect(replayed.contains("not in this poll of the recording") && !replayed.contains("not asked yet"), "\(replayed)")

        // Asked, but answered unusably: the reason, not "not asked yet".
        for cluster in model.clusters.indices {
            for server in model.clusters[cluster].servers.indices {
                model.clusters[cluster].servers[server].partialFailures = [
                    "routez: timed out after 2s", DecodedResponses.accountsNotHad(EndpointFailure(.http, "HTTP 403 from /gatewayz")),
                ]
            }
        }
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(
            model: model, problems: state.problems, receivedAt: MonitorTime(seconds: 1_800_000_004), duration: 0.01)))
        screen = DashboardView.render(state).text
        #expect(screen.contains("accounts not had (HTTP 403 from /gatewayz)") && !screen.contains("not asked yet"), "\(screen)")
        #expect(!screen.contains("routez: timed out"), "only the accounts' reason")

        // Through NATS the reason names the subject, a server id long: wrapped to the pane, not cut.
        let subject = "$SYS.REQ.SERVER.NBCCQTOQC4W4LRFMNQUQY5U7CT6HUL3BK2IRHXQV45PC4VVVDH4F6PVP.GATEWAYZ"
        for cluster in model.clusters.indices {
            for server in model.clusters[cluster].servers.indices {
                model.clusters[cluster].servers[server].partialFailures = [
                    DecodedResponses.accountsNotHad(EndpointFailure(.timeout, "no reply to \(subject)"))
                ]
            }
        }
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(
            model: model, problems: state.problems, receivedAt: MonitorTime(seconds: 1_800_000_005), duration: 0.01)))
        let lines = DashboardView.render(state).text.split(separator: "\n").map(String.init)
        let first = try #require(lines.firstIndex { $0.contains("accounts not had (no reply to") }, "\(lines)")
        #expect(lines[first].contains(subject + ");") && lines[first + 1].contains("until the next full poll"), "\(lines)")
    }

    @Test func detailTextIsWrappedAtSpacesAndLongWordsAreCut() {
        #expect(DetailView.wrapped("one two three", width: 7) == ["one two", "three"])
        #expect(DetailView.wrapped("abcdefghij kl", width: 4) == ["abcd", "efgh", "ij", "kl"])
        #expect(DetailView.wrapped("", width: 5) == [""])
        #expect(DetailView.wrapped("exactly", width: 7) == ["exactly"])
        // Wide characters take two columns each.
        #expect(DetailView.wrapped("界界界 ab", width: 4) == ["界界", "界", "ab"])
        #expect(DetailView.wrapped("a 界界", width: 6) == ["a 界界"])
        #expect(DetailView.wrapped("a 界界", width: 5) == ["a", "界界"])
    }

    @Test func drillDownIntoAServer() throws {
        var state = try recordedState("broken", width: 80, height: 24)
        press(&state, .down, .enter)
        try assertSnapshot(DashboardView.render(state), named: "detail-server-80x24")
    }

    @Test func problemsPaneFocused() throws {
        var state = try recordedState("broken", width: 120, height: 40)
        press(&state, .tab, .down, .down)
        try assertSnapshot(DashboardView.render(state), named: "problems-120x40")
    }

    @Test func clusterMatrix() throws {
        var state = try recordedState("broken", width: 120, height: 40)
        press(&state, .character("m"))
        let screen = DashboardView.render(state)
        try assertSnapshot(screen, named: "matrix-120x40")
        #expect(screen.text.contains("Cluster matrix"))
    }

    @Test func help() throws {
        var state = try recordedState("healthy", width: 80, height: 24)
        press(&state, .character("?"))
        let screen = DashboardView.render(state)
        try assertSnapshot(screen, named: "help-80x24")
        for binding in KeyMap.bindings(replay: false) { #expect(screen.text.contains(binding.help), "\(binding.action)") }
        #expect(!screen.text.contains("replay:"))
    }

    @Test func tooSmall() throws {
        let state = try recordedState("healthy", width: 50, height: 12)
        let screen = DashboardView.render(state)
        try assertSnapshot(screen, named: "too-small-50x12")
        #expect(screen.text.contains("terminal too small (need 64×16, have 50×12)"))
    }

    @Test func asciiGlyphs() throws {
        let state = try recordedState("broken", width: 80, height: 24, glyphs: .ascii)
        let screen = DashboardView.render(state)
        try assertSnapshot(screen, named: "ascii-80x24")
        #expect(screen.cells.allSatisfy { $0.text.unicodeScalars.allSatisfy(\.isASCII) })
    }

    /// Under the monochrome theme every health state is still told apart, by attribute and by glyph.
    @Test func monochromeKeepsStatesDistinct() throws {
        let mono = ResolvedTheme(Theme.monochrome, colors: 0)
        let styles = [StyleRole.ok, .warning, .critical, .unknown].map { mono.style(for: $0) }
        #expect(styles.allSatisfy { $0.foreground == .default && $0.background == .default })
        #expect(Set([StyleRole.warning, .critical, .unknown, .selection].map { mono.style(for: $0) }).count == 4)
        let glyphs = [Health.ok, .warning, .critical, .unknown].map { Glyphs.unicode.health($0) }
        #expect(Set(glyphs).count == 4)
        let state = try recordedState("broken", width: 80, height: 24)
        var attributes = DashboardView.render(state)
        try assertSnapshot(attributes, named: "mono-roles-80x24")
        attributes = DashboardView.render(state)
        #expect(attributes.text.contains(Glyphs.unicode.critical))
    }

    @Test func rowsBeyondTheScreenAreNotDrawn() throws {
        let state = try recordedState("broken", width: 80, height: 24)
        let screen = DashboardView.render(state)
        #expect(screen.text.contains("rows 1-13 of"))
    }
}

@Suite struct HostileStringTests {
    @Test func serverStringsNeverReachCellsAsControlCharacters() {
        let evil = "e\u{1B}]0;owned\u{07}\u{1B}[2J\u{9B}31m\u{202E}vil"
        let now = MonitorTime(seconds: 1_800_000_000)
        var gatewayz = Gatewayz(serverID: "X1", now: now, name: "c\u{1B}[1m")
        gatewayz.outboundGateways["r\u{0D}"] = RemoteGateway(configured: true, connection: GatewayConnectionInfo(cid: 3, rtt: 0.001, uptime: 10, name: "Y1"))
        let varz = Varz(serverID: "X1", serverName: evil, version: "2\u{1B}[H", now: now, gateway: GatewaySection(name: "c"))
        let observation = EndpointObservation(endpoint: EndpointIdentity(displayURL: "http://x:8222"), observedAt: now,
                                              outcome: .success(ServerSnapshot(varz: varz, gatewayz: gatewayz)))
        let model = SuperclusterBuilder.build(poll: PollSnapshot(sequence: 1, startedAt: now, finishedAt: now, observations: [observation]), previous: nil)
        var state = DashboardState(width: 120, height: 40, interval: 1, glyphs: .unicode, themeNames: ["default"], now: now)
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: model, problems: MeshDiagnosis.diagnose(model, previous: nil), receivedAt: now, duration: 0)))
        var screens = [DashboardView.render(state)]
        press(&state, .down, .enter)
        screens.append(DashboardView.render(state))
        press(&state, .escape, .character("m"))
        screens.append(DashboardView.render(state))
        for screen in screens {
            for cell in screen.cells {
                #expect(!cell.text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E })
            }
        }
        #expect(screens[0].text.contains("e\\u{1B}]0;owned"))
    }
}
