import MonitorModel
import OutputFormat
public import Topology

/// The event timeline (`e`): what changed in the mesh, newest first, with the filter applied.
public enum EventsView {
    public static func render(_ state: DashboardState, in area: Rect, into buffer: inout CellBuffer) {
        let events = state.visibleEvents
        let total = state.events.count
        var title = "Events: \(events.count)"
        if !state.filter.isEmpty { title += " of \(total) matching \"\(state.filter)\"" }
        title += ", newest first  (/ filter · Esc back)"
        buffer.put(title, x: area.x + 1, y: area.y, role: .title, maxWidth: area.width - 2)
        let visible = area.height - 1
        guard !events.isEmpty else {
            let message = total == 0
                ? "no events yet: connections, endpoints and problems have not changed since gwtop started watching"
                : "no event matches \"\(state.filter)\""
            buffer.put(message, x: area.x + 2, y: area.y + 2, role: .dim, maxWidth: area.width - 3)
            return
        }
        let scroll = max(0, min(state.eventScroll, events.count - visible))
        for (offset, event) in events.dropFirst(scroll).prefix(visible).enumerated() {
            let y = area.y + 1 + offset
            renderLine(event, state: state, x: area.x + 1, y: y, width: area.width - 1, into: &buffer)
        }
        if events.count > visible {
            let text = " \(scroll + 1)-\(min(events.count, scroll + visible))/\(events.count) ↑↓ "
            buffer.put(text, x: area.maxX - displayWidth(of: text), y: area.y, role: .dim)
        }
    }

    static func renderLine(_ event: MeshEvent, state: DashboardState, x originX: Int, y: Int, width: Int, into buffer: inout CellBuffer) {
        let health = health(of: event)
        var x = buffer.put(clock(event.time, relativeTo: state.now), x: originX, y: y, role: .dim)
        x = buffer.put(" \(state.glyphs.health(health)) ", x: x, y: y, role: health.role)
        x = buffer.put(event.kind.rawValue.padding(toWidth: 20), x: x, y: y, role: health.role, maxWidth: 21)
        buffer.put(TerminalSafe.text(event.message, maxLength: 300), x: x, y: y, role: .normal, maxWidth: originX + width - x)
    }

    /// `events` (oldest first) newest first; one poll's events, which share its time, most important
    /// first: a burst at 250 servers (a cluster cut off: 1,800 events at once) opens on the split and
    /// the servers that went, not on the warnings that cleared.
    public static func newestFirst(_ events: [MeshEvent]) -> [MeshEvent] {
        var ordered: [MeshEvent] = []
        ordered.reserveCapacity(events.count)
        var end = events.endIndex
        while end > events.startIndex {
            var start = end - 1
            while start > events.startIndex && events[start - 1].time == events[end - 1].time { start -= 1 }
            if end - start == 1 {
                ordered.append(events[start])
            } else {
                // Ties keep the order they were found in (the diagnosis lists a split before what follows from it).
                ordered += events[start..<end].enumerated().sorted { left, right in
                    let (a, b) = (importance(left.element), importance(right.element))
                    return a != b ? a < b : left.offset < right.offset
                }.map(\.element)
            }
            end = start
        }
        return ordered
    }

    /// Lower first: what went wrong before what recovered.
    static func importance(_ event: MeshEvent) -> Int {
        switch event.kind {
        case .problemRaised:
            switch event.severity {
            case .critical?: 0
            case .warning?: 4
            default: 6
            }
        case .endpointDown: 1
        case .serverRestarted: 2
        case .gatewayDisconnected: 3
        case .gatewayReconnected: 5
        case .endpointUp: 7
        case .gatewayConnected: 8
        case .problemCleared: 9
        }
    }

    /// `20:41:07` today (in the timeline's own clock), else `11-25 20:41:07`; UTC, as the servers log.
    static func clock(_ time: MonitorTime, relativeTo now: MonitorTime) -> String {
        let stamp = time.rfc3339
        let sameDay = stamp.prefix(10) == now.rfc3339.prefix(10)
        let clock = String(stamp.dropFirst(11).prefix(8))
        return sameDay ? clock : String(stamp.dropFirst(5).prefix(5)) + " " + clock
    }

    /// Losses and failures read as critical, recoveries as ok, changes of identity as warnings; a
    /// raised problem as its own severity.
    public static func health(of event: MeshEvent) -> Health {
        switch event.kind {
        case .problemRaised: event.severity.map(Health.init) ?? .warning
        case .gatewayDisconnected, .endpointDown: .critical
        case .gatewayReconnected, .serverRestarted: .warning
        case .gatewayConnected, .endpointUp, .problemCleared: .ok
        }
    }

    /// The lines a drill-down shows for its own events, newest first, at most `limit`.
    static func detailLines(_ events: [MeshEvent], state: DashboardState, limit: Int = 15) -> [DetailView.Line] {
        var lines: [DetailView.Line] = [DetailView.section("Events (newest first; e: full timeline)")]
        guard !events.isEmpty else { return lines + [[("  none since gwtop started watching", .dim)]] }
        for event in newestFirst(events).prefix(limit) {
            let health = health(of: event)
            lines.append([
                ("  " + clock(event.time, relativeTo: state.now) + " ", .dim),
                (state.glyphs.health(health) + " " + event.kind.rawValue.padding(toWidth: 20), health.role),
                (TerminalSafe.text(event.message, maxLength: 300), .normal),
            ])
        }
        if events.count > limit { lines.append([("  … \(events.count - limit) older", .dim)]) }
        return lines
    }
}
