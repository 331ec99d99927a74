import MonitorModel
import OutputFormat
import Topology

/// Draws the whole screen for a state. Pure: the same state gives the same cells.
public enum DashboardView {
    public static func render(_ state: DashboardState) -> CellBuffer {
        var buffer = CellBuffer(width: state.width, height: state.height)
        let layout = state.layout
        if layout.tooSmall {
            renderTooSmall(state, into: &buffer)
            return buffer
        }
        renderHeader(state, layout.header, into: &buffer)
        switch state.mainView {
        case .tree:
            renderProblems(state, layout.problems, into: &buffer)
            renderTree(state, layout.main, into: &buffer)
        case .detail(let row):
            DetailView.render(state, row: row, in: layout.main, into: &buffer)
        case .matrix:
            MatrixView.render(state, in: layout.main, into: &buffer)
        case .help:
            renderHelp(state, layout.main, into: &buffer)
        case .events:
            EventsView.render(state, in: layout.main, into: &buffer)
        }
        renderFooter(state, layout.footer, into: &buffer)
        if state.glyphs == .ascii { asciify(&buffer) }
        return buffer
    }

    /// ASCII mode promises ASCII on the wire: the few symbols in fixed texts get ASCII stand-ins, and
    /// anything else (a server name in another script) becomes "?".
    static func asciify(_ buffer: inout CellBuffer) {
        let replacements: [String: String] = [
            "µ": "u", "×": "x", "▏": "|", "↑": "^", "↓": "v", "→": ">", "←": "<", "…": "~", "·": ".", "—": "-",
            "•": "*", "▾": "-", "▸": "+", "│": "|", "─": "-", "✓": "+", "✗": "X", "▲": "!", "↻": "~", "●": "*",
        ]
        for y in 0..<buffer.height {
            for x in 0..<buffer.width {
                var cell = buffer[x, y]
                guard !cell.text.unicodeScalars.allSatisfy(\.isASCII) || cell.isContinuation else { continue }
                cell.text = cell.isContinuation ? "?" : replacements[cell.text] ?? "?"
                buffer[x, y] = cell
            }
        }
    }

    /// Server-supplied text, made safe and short.
    static func safe(_ text: String, _ maxLength: Int = 64) -> String { TerminalSafe.text(text, maxLength: maxLength) }

    static func renderTooSmall(_ state: DashboardState, into buffer: inout CellBuffer) {
        let message = "terminal too small (need \(DashboardLayout.minimumWidth)×\(DashboardLayout.minimumHeight), "
            + "have \(state.width)×\(state.height))"
        let lines = [message, "enlarge the window, or press q to quit"]
        for (index, line) in lines.enumerated() {
            let y = state.height / 2 - 1 + index
            let x = max(0, (state.width - displayWidth(of: line)) / 2)
            buffer.put(line, x: x, y: y, role: index == 0 ? .warning : .dim)
        }
    }

    // MARK: Header

    static func renderHeader(_ state: DashboardState, _ area: Rect, into buffer: inout CellBuffer) {
        buffer.fill(area, role: .header)
        let g = state.glyphs
        var x = buffer.put(" gwtop ", x: 0, y: area.y, role: .headerValue)
        guard let summary = state.summary else {
            buffer.put(" waiting for the first poll…", x: x, y: area.y, role: .header)
            renderSecondHeaderLine(state, area, into: &buffer)
            return
        }
        let status: Health = summary.critical > 0 ? .critical : summary.warning > 0 ? .warning : .ok
        x = buffer.put(" \(g.health(status)) \(status.word.uppercased()) ", x: x + 1, y: area.y, role: status.role)
        let values = [
            "\(summary.clusters)", "\(summary.serversReachable)/\(summary.serversPolled)",
            "\(summary.outboundUp)/\(summary.outboundExpected)",
        ]
        let counts = [(summary.critical, Health.critical, " critical"), (summary.warning, .warning, " warning"), (summary.info, .info, " info")]
        let words = area.width >= 100
        let countsText = counts.map { count, health, word in " \(g.health(health))\(count)\(words ? word : "")" }
        // The problem counts must show whole: a large mesh's figures are wider, so its labels get shorter
        // until the line fits (at 250 servers, 80 columns cut the warning count off).
        let room = area.width - x - 2 - countsText.reduce(0) { $0 + displayWidth(of: $1) }
            - (state.replay == nil && state.paused ? 9 : 0)
        let labelSets = [[" clusters", " servers up", " links"], [" clusters", " up", " links"], [" cl", " up", " out"]]
        let labels = labelSets.first { labels in
            zip(values, labels).reduce(0) { $0 + 2 + displayWidth(of: $1.0) + displayWidth(of: $1.1) } <= room
        } ?? labelSets[labelSets.count - 1]
        for (value, label) in zip(values, labels) {
            x = buffer.put("  " + value, x: x, y: area.y, role: .headerValue)
            x = buffer.put(label, x: x, y: area.y, role: .header)
        }
        x += 2
        for (index, text) in countsText.enumerated() {
            x = buffer.put(text, x: x, y: area.y, role: counts[index].0 > 0 ? counts[index].1.role : .header)
        }
        if state.replay == nil && state.paused {
            let marker = " PAUSED "
            buffer.put(marker, x: max(x + 1, area.maxX - displayWidth(of: marker)), y: area.y, role: .paused)
        }
        renderSecondHeaderLine(state, area, into: &buffer)
    }

    /// ` REPLAY 2026-11-26 20:41:07 ×4 37/240 ` (or `PAUSED`, `END`) where the live screen says how
    /// often it polls, so nobody takes a recording for the live mesh.
    static func replayMarker(_ replay: ReplayStatus) -> String {
        let stamp = replay.time.rfc3339
        let when = String(stamp.prefix(10)) + " " + String(stamp.dropFirst(11).prefix(8))
        let speed = replay.speed == replay.speed.rounded() ? "\(Int(replay.speed))" : Units.fixed(replay.speed, digits: 2)
        let state = replay.paused ? "PAUSED" : replay.atEnd && !replay.looping ? "END" : "×" + speed
        return " REPLAY \(when) UTC \(state) \(replay.position + 1)/\(replay.count) "
    }

    static func renderSecondHeaderLine(_ state: DashboardState, _ area: Rect, into buffer: inout CellBuffer) {
        let y = area.y + 1
        if let replay = state.replay {
            var x = buffer.put(replayMarker(replay), x: 0, y: y, role: .paused)
            if let latest = state.latest {
                x = buffer.put("  cycle \(Units.duration(latest.duration))", x: x, y: y, role: .header)
            }
            x = buffer.put("  sort \(state.sort.rawValue)", x: x, y: y, role: .header)
            if !state.filter.isEmpty { x = buffer.put("  filter \"\(state.filter)\"", x: x, y: y, role: .filter) }
            return
        }
        let every = state.interval == state.interval.rounded() ? "\(Int(state.interval))s" : Units.duration(state.interval)
        var x = buffer.put(" every \(every)", x: 0, y: y, role: .header)
        let ageText: String
        if let age = state.dataAge {
            // Whole seconds: the line changes once a second, not on every tick (less to send over SSH).
            ageText = age < 1 ? "last good poll <1s ago" : "last good poll \(Units.duration(age.rounded(.down))) ago"
        } else {
            ageText = state.latest == nil ? "no poll yet" : "no endpoint has answered"
        }
        let ageHealth = state.dataAgeHealth
        let ageRole: StyleRole = ageHealth == .critical ? .stale : ageHealth == .warning ? .warning : .header
        x = buffer.put("  ", x: x, y: y, role: .header)
        x = buffer.put(ageHealth == .ok ? ageText : "\(state.glyphs.health(ageHealth)) \(ageText)", x: x, y: y, role: ageRole)
        if let latest = state.latest {
            x = buffer.put("  cycle \(Units.duration(latest.duration))", x: x, y: y, role: .header)
            if let source = latest.sourceConnection {
                x = buffer.put("  ", x: x, y: y, role: .header)
                x = source.isUp
                    ? buffer.put(source.text, x: x, y: y, role: .header, maxWidth: 24)
                    : buffer.put("\(state.glyphs.health(.critical)) \(source.text)", x: x, y: y, role: .stale, maxWidth: 60)
            }
        }
        if let recording = state.recordingTo {
            // Recording is never silent: whoever sits at this screen may not be the one who asked for it.
            x = buffer.put("  ", x: x, y: y, role: .header)
            x = buffer.put("● REC \(recording)", x: x, y: y, role: .paused, maxWidth: 40)
        }
        x = buffer.put("  sort \(state.sort.rawValue)", x: x, y: y, role: .header)
        if !state.filter.isEmpty {
            x = buffer.put("  filter \"\(state.filter)\"", x: x, y: y, role: .filter)
        }
        x = buffer.put("  theme \(state.themeName)", x: x, y: y, role: .header)
    }

    // MARK: Tree

    static func renderTree(_ state: DashboardState, _ area: Rect, into buffer: inout CellBuffer) {
        let columns = TreeColumns(width: area.width - 1)
        for placement in columns.placements {
            var title = placement.column.title
            if sortColumn(state.sort) == placement.column {
                title = titleWithSortMarker(title, marker: state.glyphs.sortMarker, width: placement.width)
            }
            let x = placement.column.rightAligned ? placement.x + max(0, placement.width - displayWidth(of: title)) : placement.x
            buffer.put(title, x: area.x + 1 + x, y: area.y, role: .columnHeading, maxWidth: placement.width)
        }
        let rows = state.rows
        let visible = area.height - 1
        if rows.isEmpty {
            let message = state.model == nil ? "waiting for the first poll…"
                : state.filter.isEmpty ? "no server known" : "nothing matches \"\(state.filter)\" (Esc clears the filter)"
            buffer.put(message, x: area.x + 2, y: area.y + 2, role: .dim)
            return
        }
        for (offset, row) in rows.dropFirst(state.scrollOffset).prefix(visible).enumerated() {
            let y = area.y + 1 + offset
            renderRow(row, state: state, columns: columns, x: area.x + 1, y: y, width: area.width - 1, into: &buffer)
            if row.id == state.selection {
                buffer.setRole(state.focus == .tree ? .selection : .dim, in: Rect(x: area.x, y: y, width: area.width, height: 1))
                buffer.put(">", x: area.x, y: y, role: state.focus == .tree ? .selection : .dim)
            }
        }
        if rows.count > visible {
            // On the separator below the tree, where it covers no column heading.
            let shownEnd = min(rows.count, state.scrollOffset + visible)
            let text = " rows \(state.scrollOffset + 1)-\(shownEnd) of \(rows.count) "
            buffer.put(text, x: area.maxX - displayWidth(of: text) - 1, y: area.maxY, role: .dim)
        }
    }

    /// A column's title with the sort marker, within the column's width. "OUT/s" and "UPTIME" fill theirs:
    /// with the marker added they started a cell early, over the space before them ("IN B/sOUT/s"), and
    /// the marker was cut off. A rate's "/s" goes first ("OUT▼"), then letters from the end.
    static func titleWithSortMarker(_ title: String, marker: String, width: Int) -> String {
        var title = title
        if displayWidth(of: title + marker) > width, title.hasSuffix("/s") { title.removeLast(2) }
        while !title.isEmpty, displayWidth(of: title + marker) > width { title.removeLast() }
        return title + marker
    }

    static func sortColumn(_ sort: SortKey) -> TreeColumns.Column? {
        switch sort {
        case .name: .name
        case .health: nil
        case .rate: .outMsgs
        case .rtt: .rtt
        case .pending: .pending
        case .uptime: .uptime
        }
    }

    static func renderRow(_ row: TreeRow, state: DashboardState, columns: TreeColumns, x originX: Int, y: Int, width: Int,
                          into buffer: inout CellBuffer) {
        let g = state.glyphs
        func cell(_ column: TreeColumns.Column, _ text: String, _ role: StyleRole) {
            guard let placement = columns.placement(column) else { return }
            let w = displayWidth(of: text)
            let x = column.rightAligned ? placement.x + max(0, placement.width - w) : placement.x
            buffer.put(text, x: originX + x, y: y, role: role, maxWidth: placement.width)
        }
        /// The first of `forms` (longest first) that fits the column whole: a count cut off mid-number
        /// would read as another count.
        func cell(_ column: TreeColumns.Column, fitting forms: [String], _ role: StyleRole) {
            guard let placement = columns.placement(column), let last = forms.last else { return }
            cell(column, forms.first { displayWidth(of: $0) <= placement.width } ?? last, role)
        }
        func span(from column: TreeColumns.Column, _ text: String, _ role: StyleRole) {
            guard let (x, spanWidth) = columns.spanFrom(column, totalWidth: width) else { return }
            buffer.put(text, x: originX + x, y: y, role: role, maxWidth: spanWidth)
        }
        // Tree guides and the health glyph inside the name column.
        guard let namePlacement = columns.placement(.name) else { return }
        var prefix = ""
        switch row.depth {
        case 0: prefix = row.hasChildren ? (row.isExpanded ? g.expanded : g.collapsed) + " " : "  "
        case 1:
            // A closed server says so on its branch (├▸), or nothing would tell it from a server with no
            // connections; in a large mesh every server starts closed.
            let closed = row.hasChildren && !row.isExpanded
            prefix = row.isLast ? (closed ? g.treeLastClosed : g.treeLast) : (closed ? g.treeBranchClosed : g.treeBranch)
        default: prefix = ((row.ancestorIsLast.first ?? false) ? "  " : g.treeVertical) + (row.isLast ? g.treeLast : g.treeBranch)
        }
        var x = buffer.put(prefix, x: originX, y: y, role: .treeLine, maxWidth: namePlacement.width)
        x = buffer.put(g.health(row.health), x: x, y: y, role: row.health.role)
        x += 1
        let nameLimit = namePlacement.width - (x - originX)

        guard let model = state.model else { return }
        switch row.kind(in: model) {
        case .cluster(let cluster):
            x = buffer.put(safe(cluster.name, 40), x: x, y: y, role: .cluster, maxWidth: nameLimit)
            let count = cluster.servers.count
            buffer.put(" (\(count))", x: x, y: y, role: .dim, maxWidth: max(0, originX + namePlacement.width - x))
            if cluster.servers.isEmpty {
                span(from: .gid, "no server seen — named in configuration only", .unknown)
            } else {
                if let rates = cluster.rates {
                    cell(.inMsgs, Units.count(rates.inMsgs), .rate)
                    cell(.outMsgs, Units.count(rates.outMsgs), .rate)
                    cell(.inBytes, Units.bytes(rates.inBytes), .rate)
                    cell(.outBytes, Units.bytes(rates.outBytes), .rate)
                }
                // Shown with rates or without: a cluster cut off has no traffic to rate, and its 0/245 is
                // the one figure that matters then.
                let links = cluster.servers.filter(\.reachable).reduce(into: (0, 0)) { total, server in
                    guard let coverage = state.model?.outboundCoverage(for: server) else { return }
                    total.0 += coverage.up
                    total.1 += coverage.expected.count
                }
                if links.1 > 0 {
                    cell(.gid, fitting: ["\(links.0)/\(links.1) out", "\(links.0)/\(links.1)"], links.0 < links.1 ? .critical : .dim)
                }
            }
        case .server(let server):
            x = buffer.put(safe(server.name, 40), x: x, y: y, role: .server, maxWidth: nameLimit)
            if server.insecureTLS {
                buffer.put(" !tls", x: x, y: y, role: .warning, maxWidth: max(0, originX + namePlacement.width - x))
            }
            if !server.polled {
                span(from: .gid, "not polled (seen as a peer)", .unknown)
            } else if !server.reachable {
                span(from: .gid, "UNREACHABLE: " + safe(server.failure?.message ?? "no answer", 120), .critical)
            } else {
                let coverage = state.model?.outboundCoverage(for: server)
                cell(.gid, "v" + safe(server.version ?? "?", 12), .dim)
                // Outbound up/expected is what matters; the inbound count goes first when the column is
                // narrow (80 columns at 50 clusters), and stays in the detail pane.
                let outbound = "o\(coverage?.up ?? 0)/\(coverage?.expected.count ?? 0)"
                let missing = coverage?.missing.isEmpty == false
                cell(.remote, fitting: [outbound + " i\(server.inbound.count)", outbound], missing ? .critical : .dim)
                if let rates = server.rates {
                    cell(.inMsgs, Units.count(rates.inMsgs), .rate)
                    cell(.outMsgs, Units.count(rates.outMsgs), .rate)
                    cell(.inBytes, Units.bytes(rates.inBytes), .rate)
                    cell(.outBytes, Units.bytes(rates.outBytes), .rate)
                }
                if let uptime = server.uptime { cell(.uptime, Units.duration(uptime), .dim) }
            }
        case .connection(let server, let link):
            let arrow = link.direction == .outbound ? g.outbound : g.inbound
            let implicit = link.configured == false ? "*" : ""
            x = buffer.put("\(arrow) \(safe(link.remoteCluster, 40))\(implicit)", x: x, y: y, role: .normal, maxWidth: nameLimit)
            // Flapping at a glance: connections lost here in the last 10 minutes.
            if let losses = state.recentConnectionLosses[DashboardUpdate.flapKey(server, link)], losses > 0 {
                buffer.put(" \(g.reconnects)\(losses)", x: x, y: y, role: losses >= 3 ? .critical : .warning,
                           maxWidth: max(0, originX + namePlacement.width - x))
            }
            cell(.gid, link.logToken, .gid)
            cell(.remote, safe(link.remoteServerName ?? link.remoteServerID.map { String($0.prefix(7)) + g.ellipsis } ?? "?", 40),
                 link.remoteServerName == nil ? .unknown : .normal)
            cell(.inMsgs, link.rates.map { Units.count($0.inMsgs) } ?? "-", .rate)
            cell(.outMsgs, link.rates.map { Units.count($0.outMsgs) } ?? "-", .rate)
            cell(.inBytes, link.rates.map { Units.bytes($0.inBytes) } ?? "-", .rate)
            cell(.outBytes, link.rates.map { Units.bytes($0.outBytes) } ?? "-", .rate)
            cell(.rtt, link.rtt.map(Units.duration) ?? "-", row.health >= .warning && (link.rtt ?? 0) > 0.3 ? .warning : .normal)
            cell(.pending, Units.bytes(Double(link.pendingBytes)), link.pendingBytes > 0 ? .warning : .dim)
            cell(.uptime, link.uptime.map(Units.duration) ?? "-", .dim)
            if let trend = columns.placement(.trend) {
                let key = SeriesKey(serverKey: serverKey(server), link: link)
                let values = state.history[key]?.messages.values ?? []
                cell(.trend, Sparkline.render(values, width: trend.width, glyphs: g), .sparkline)
            }
        case .missing(let server, let remote):
            let arrow = g.outbound
            buffer.put("\(arrow) \(safe(remote, 40))", x: x, y: y, role: .missing, maxWidth: nameLimit)
            let configured = server.configuredRemotes.contains(remote) ? " (configured)" : ""
            span(from: .gid, "MISSING outbound gateway\(configured)", .missing)
        }
    }

    // MARK: Problems

    static func renderProblems(_ state: DashboardState, _ area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let g = state.glyphs
        let problems = state.problems
        buffer.fill(Rect(x: area.x, y: area.y, width: area.width, height: 1), with: g.horizontal, role: .border)
        let focused = state.focus == .problems
        let counts = MeshSummary.counts(problems)
        let title = " Problems: \(counts.critical) critical, \(counts.warning) warning, \(counts.info) info "
            + (focused ? "(Enter: go to row) " : problems.isEmpty ? "" : "(Tab to select) ")
        buffer.put(title, x: area.x + 2, y: area.y, role: focused ? .title : .border)
        if problems.isEmpty {
            buffer.put(state.model == nil ? "" : "\(g.ok) no problems: every expected gateway is up", x: area.x + 2, y: area.y + 1, role: .ok)
            return
        }
        let rows = area.height - 1
        let window = Array(problems.enumerated().dropFirst(state.problemScroll).prefix(rows))
        for (line, (index, problem)) in window.enumerated() {
            let y = area.y + 1 + line
            let health = Health(problem.severity)
            var x = buffer.put(" \(g.health(health)) ", x: area.x, y: y, role: health.role)
            x = buffer.put(problem.kind.rawValue, x: x, y: y, role: health.role, maxWidth: 24)
            x = max(x + 1, area.x + 28)
            buffer.put(safe(problem.message, 300), x: x, y: y, role: .normal, maxWidth: area.maxX - x)
            if focused && index == state.problemSelection {
                buffer.setRole(.selection, in: Rect(x: area.x, y: y, width: area.width, height: 1))
            }
        }
    }

    // MARK: Footer and help

    static func renderFooter(_ state: DashboardState, _ area: Rect, into buffer: inout CellBuffer) {
        buffer.fill(area, role: .footer)
        if state.editingJump {
            renderPrompt(" jump to ", state.jumpText, "+90s from start · -1m from end · 2026-11-26T20:41:00Z · Enter go · Esc cancel",
                         area, into: &buffer)
            return
        }
        if state.editingFilter {
            renderPrompt(" / ", state.filter, "Enter keep · Esc clear · cluster, server, gid:N or remote", area, into: &buffer)
            return
        }
        var x = area.x
        // "? help" always shows, so every other key can be found however narrow the terminal.
        let help = KeyMap.binding(for: .help)
        let helpWidth = help.map { displayWidth(of: footerKey($0)) + displayWidth(of: $0.footer ?? "") + 3 } ?? 0
        // What the last key did ("event: …" after n in a replay) goes before the key hints: they are
        // all on the help screen, the message is nowhere else. It takes what it needs up to the space
        // left by "? help", is cut with an ellipsis beyond that, and the hints fill what remains.
        let message = state.statusMessage.map { fitted(" " + $0 + " ", width: max(0, area.width - helpWidth), ellipsis: state.glyphs.ellipsis) }
        let messageWidth = message.map(displayWidth(of:)) ?? 0
        for binding in KeyMap.bindings(replay: state.replay != nil) where binding.action != .help {
            guard let word = binding.footer else { continue }
            let key = footerKey(binding)
            if x + displayWidth(of: key) + displayWidth(of: word) + 3 > area.maxX - helpWidth - messageWidth { break }
            x = buffer.put(" " + key, x: x, y: area.y, role: .footerKey)
            x = buffer.put(" " + word + " ", x: x, y: area.y, role: .footer)
        }
        if let help, let word = help.footer {
            x = buffer.put(" " + footerKey(help), x: x, y: area.y, role: .footerKey)
            x = buffer.put(" " + word + " ", x: x, y: area.y, role: .footer)
        }
        if let message {
            buffer.put(message, x: max(x, area.maxX - messageWidth), y: area.y, role: .title)
        }
    }

    /// `text` if it fits in `width` columns, else its start and `ellipsis` in exactly that many or fewer.
    static func fitted(_ text: String, width: Int, ellipsis: String) -> String {
        guard displayWidth(of: text) > width else { return text }
        let room = width - displayWidth(of: ellipsis)
        guard room > 0 else { return "" }
        var kept = ""
        var used = 0
        for character in text {
            let w = displayWidth(of: character)
            if used + w > room { break }
            kept.append(character)
            used += w
        }
        return kept + ellipsis
    }

    /// A one-line text field in the footer: label, what was typed, a cursor, then a hint.
    static func renderPrompt(_ label: String, _ text: String, _ hint: String, _ area: Rect, into buffer: inout CellBuffer) {
        var x = buffer.put(label, x: area.x, y: area.y, role: .footerKey)
        x = buffer.put(text, x: x, y: area.y, role: .filter)
        x = buffer.put("▏", x: x, y: area.y, role: .filter)
        buffer.put("   " + hint, x: x, y: area.y, role: .footer)
    }

    static func footerKey(_ binding: KeyBinding) -> String {
        binding.label.split(separator: " ").first.map(String.init) ?? binding.label
    }

    static func renderHelp(_ state: DashboardState, _ area: Rect, into buffer: inout CellBuffer) {
        let g = state.glyphs
        buffer.put("Keys (any key closes this help)", x: area.x + 2, y: area.y, role: .title)
        let legend = [
            "\(g.ok) ok  \(g.warning) warning  \(g.critical) critical  \(g.unknown) unknown/not polled  \(g.info) info",
            "\(g.outbound) outbound  \(g.inbound) inbound  * implicit (gossiped)  - rate after the next poll",
            "gid:N is the id the server logs: grep 'gid:N ' in its log",
        ]
        // One column when it fits, else two.
        let rowsAvailable = area.height - 2 - legend.count
        let bindings = KeyMap.bindings(replay: state.replay != nil)
        let columns = bindings.count <= rowsAvailable ? 1 : 2
        let perColumn = (bindings.count + columns - 1) / columns
        let columnWidth = (area.width - 2) / columns
        for (index, binding) in bindings.enumerated() {
            let column = index / perColumn
            let y = area.y + 1 + index % perColumn
            let x = area.x + 2 + column * columnWidth
            buffer.put(binding.label, x: x, y: y, role: .footerKey, maxWidth: 6)
            buffer.put(binding.help, x: x + 7, y: y, role: .normal, maxWidth: columnWidth - 7)
        }
        var y = area.y + 2 + perColumn
        for line in legend where y < area.maxY {
            buffer.put(line, x: area.x + 2, y: y, role: .dim, maxWidth: area.width - 3)
            y += 1
        }
    }
}

extension MeshSummary {
    static func counts(_ problems: [Problem]) -> (critical: Int, warning: Int, info: Int) {
        (problems.filter { $0.severity == .critical }.count, problems.filter { $0.severity == .warning }.count,
         problems.filter { $0.severity == .info }.count)
    }
}
