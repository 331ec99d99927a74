/// Everything a key can do. The same table dispatches keys and writes the `?` help screen and the footer.
public enum Action: String, Sendable, CaseIterable {
    case moveUp, moveDown, pageUp, pageDown, home, end
    case expandOrDrill, drillIn, collapse, back, nextPane
    case filter, sort, pause, pollNow, intervalUp, intervalDown, matrix, events, theme, help, quit
    case replayPause, replaySlower, replayFaster, replayStepBack, replayStepForward, replayNextEvent, replayPreviousEvent
    case replayJump
}

public struct KeyBinding: Sendable {
    public var keys: [Key]
    /// How the keys are written in help and footer.
    public var label: String
    public var action: Action
    public var help: String
    /// Short word for the footer; nil keeps it out of the footer.
    public var footer: String?
    /// Only while replaying a recording (and then it wins over a live binding of the same key).
    public var replayOnly = false
    /// Meaningless in a replay (polling), so neither bound nor listed there.
    public var liveOnly = false
}

public enum KeyMap {
    public static let bindings: [KeyBinding] = [
        KeyBinding(keys: [.character(" "), .character("p")], label: "Space p", action: .replayPause,
                   help: "replay: pause / play", footer: "pause", replayOnly: true),
        KeyBinding(keys: [.character("[")], label: "[", action: .replayStepBack, help: "replay: one poll back",
                   footer: nil, replayOnly: true),
        KeyBinding(keys: [.character("]")], label: "]", action: .replayStepForward, help: "replay: one poll forward",
                   footer: "step", replayOnly: true),
        KeyBinding(keys: [.character("<"), .character(",")], label: "<", action: .replaySlower, help: "replay: slower",
                   footer: nil, replayOnly: true),
        KeyBinding(keys: [.character(">"), .character(".")], label: ">", action: .replayFaster, help: "replay: faster",
                   footer: "speed", replayOnly: true),
        KeyBinding(keys: [.character("n")], label: "n", action: .replayNextEvent, help: "replay: to the next event",
                   footer: "next event", replayOnly: true),
        KeyBinding(keys: [.character("N")], label: "N", action: .replayPreviousEvent, help: "replay: to the previous event",
                   footer: nil, replayOnly: true),
        KeyBinding(keys: [.character("J")], label: "J", action: .replayJump, help: "replay: jump to a time",
                   footer: "jump", replayOnly: true),
        KeyBinding(keys: [.up, .character("k")], label: "↑ k", action: .moveUp, help: "select the row above", footer: nil),
        KeyBinding(keys: [.down, .character("j")], label: "↓ j", action: .moveDown, help: "select the row below", footer: nil),
        KeyBinding(keys: [.pageUp, .ctrl("b")], label: "PgUp", action: .pageUp, help: "one page up", footer: nil),
        KeyBinding(keys: [.pageDown, .ctrl("f"), .character(" ")], label: "PgDn", action: .pageDown, help: "one page down", footer: nil),
        KeyBinding(keys: [.home, .character("g")], label: "Home g", action: .home, help: "first row", footer: nil),
        KeyBinding(keys: [.end, .character("G")], label: "End G", action: .end, help: "last row", footer: nil),
        KeyBinding(keys: [.enter], label: "Enter", action: .drillIn,
                   help: "details (problems: go to row)", footer: "details"),
        KeyBinding(keys: [.right, .character("l")], label: "→ l", action: .expandOrDrill, help: "expand, or details if open", footer: nil),
        KeyBinding(keys: [.left, .character("h")], label: "← h", action: .collapse, help: "collapse, or go to parent", footer: nil),
        KeyBinding(keys: [.escape], label: "Esc", action: .back, help: "back: close details, filter", footer: "back"),
        KeyBinding(keys: [.tab, .backTab], label: "Tab", action: .nextPane, help: "tree / problems pane", footer: "pane"),
        KeyBinding(keys: [.character("/")], label: "/", action: .filter,
                   help: "filter: cluster/server/gid/peer", footer: "filter"),
        KeyBinding(keys: [.character("s")], label: "s", action: .sort, help: "sort: name/health/rate/RTT/…", footer: "sort"),
        KeyBinding(keys: [.character("p")], label: "p", action: .pause, help: "pause screen (polling goes on)", footer: "pause", liveOnly: true),
        KeyBinding(keys: [.character("r")], label: "r", action: .pollNow, help: "poll now", footer: nil, liveOnly: true),
        KeyBinding(keys: [.character("+"), .character("=")], label: "+", action: .intervalUp, help: "poll less often", footer: nil, liveOnly: true),
        KeyBinding(keys: [.character("-")], label: "-", action: .intervalDown, help: "poll more often", footer: nil, liveOnly: true),
        KeyBinding(keys: [.character("e")], label: "e", action: .events, help: "event timeline (newest first)", footer: "events"),
        KeyBinding(keys: [.character("m")], label: "m", action: .matrix, help: "cluster × cluster matrix", footer: "matrix"),
        KeyBinding(keys: [.character("t")], label: "t", action: .theme, help: "next theme", footer: nil),
        KeyBinding(keys: [.character("?"), .function(1)], label: "? F1", action: .help, help: "this help", footer: "help"),
        KeyBinding(keys: [.character("q"), .ctrl("c")], label: "q", action: .quit, help: "quit", footer: "quit"),
    ]

    /// The bindings in force: replay adds its own, ahead of the live ones.
    public static func bindings(replay: Bool) -> [KeyBinding] {
        bindings.filter { replay ? !$0.liveOnly : !$0.replayOnly }
    }

    public static func action(for key: Key, replay: Bool = false) -> Action? {
        bindings(replay: replay).first { $0.keys.contains(key) }?.action
    }

    public static func binding(for action: Action) -> KeyBinding? {
        bindings.first { $0.action == action }
    }
}
