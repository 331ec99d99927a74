import CNcursesw
#if canImport(Glibc)
import Glibc
#endif
public import TerminalUI

/// The terminal through ncursesw. All curses calls happen on the thread that created the instance.
/// ncurses keeps its own copy of the screen, so `draw` followed by `doupdate` sends only what changed —
/// what keeps gwtop cheap over SSH.
public final class NcursesTerminal: TerminalBackend {
    public enum ColorMode: Sendable { case auto, never, always }

    public struct InitError: Error, CustomStringConvertible {
        public let description: String
    }

    public private(set) var capabilities: TerminalCapabilities
    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private var styleByRole: [StyleRole: (attrs: attr_t, pair: Int16)] = [:]
    private var lastDrawn: CellBuffer?
    private var restored = false
    public private(set) var hasHungUp = false

    /// - Parameters:
    ///   - forceASCII: ASCII glyphs even when the locale's codeset is UTF-8 (`--ascii`).
    ///   - colorMode: `never` gives the monochrome look; `always` uses colours when the terminal has any.
    public init(forceASCII: Bool, colorMode: ColorMode) throws {
        setlocale(LC_ALL, "")
        guard let output = fdopen(STDOUT_FILENO, "w"), let input = fdopen(STDIN_FILENO, "r") else {
            throw InitError(description: "cannot open the terminal's standard input/output")
        }
        // newterm, unlike initscr, returns an error instead of exiting the process.
        guard let screen = newterm(nil, output, input) else {
            let term = getenv("TERM").map { String(cString: $0) } ?? "(unset)"
            throw InitError(description: "cannot initialise the terminal (TERM=\(term)); is stdout a terminal?")
        }
        self.screen = screen
        set_term(screen)
        self.window = gw_stdscr()
        cbreak()
        noecho()
        nonl()
        keypad(window, true)
        curs_set(0)
        set_escdelay(25)
        leaveok(window, true)
        var colors = 0
        if colorMode != .never && has_colors() {
            start_color()
            use_default_colors()
            colors = Int(gw_colors())
        }
        self.capabilities = TerminalCapabilities(colors: colors, unicode: !forceASCII && gw_codeset_is_utf8() != 0)
        Self.installCrashHandlers()
    }

    deinit { restore() }

    public var size: (width: Int, height: Int) {
        (Int(getmaxx(window)), Int(getmaxy(window)))
    }

    public func apply(_ theme: ResolvedTheme) {
        var pairs: [[Int16]: Int16] = [:]
        var next: Int16 = 1
        let maxPairs = Int16(clamping: min(Int(gw_color_pairs()), 32767))
        for role in StyleRole.allCases {
            let style = theme.style(for: role)
            var attrs = gw_a_normal()
            if style.bold { attrs |= gw_a_bold() }
            if style.dim { attrs |= gw_a_dim() }
            if style.underline { attrs |= gw_a_underline() }
            if style.reverse { attrs |= gw_a_reverse() }
            var pair: Int16 = 0
            if capabilities.colors > 0 {
                let key = [Self.number(style.foreground), Self.number(style.background)]
                if key != [-1, -1] {
                    if let existing = pairs[key] {
                        pair = existing
                    } else if next < maxPairs {
                        init_pair(next, key[0], key[1])
                        pairs[key] = next
                        pair = next
                        next += 1
                    }
                }
            }
            styleByRole[role] = (attrs, pair)
        }
        lastDrawn = nil  // every cell changes look
    }

    private static func number(_ color: TerminalColor) -> Int16 {
        switch color {
        case .default: -1
        case .index(let index): Int16(clamping: index)
        }
    }

    public func draw(_ buffer: CellBuffer) {
        let full = lastDrawn.map { $0.width != buffer.width || $0.height != buffer.height } ?? true
        if full { werase(window) }
        for y in 0..<buffer.height {
            for x in 0..<buffer.width {
                let cell = buffer[x, y]
                if cell.isContinuation { continue }
                if !full, let previous = lastDrawn, previous[x, y] == cell,
                    x + 1 >= buffer.width || previous[x + 1, y] == buffer[x + 1, y]
                {
                    continue
                }
                let style = styleByRole[cell.role] ?? (gw_a_normal(), 0)
                var wide = Array(cell.text.unicodeScalars.map { wchar_t(bitPattern: $0.value) })
                wide.append(0)
                _ = gw_put_cell(window, Int32(y), Int32(x), wide, style.attrs, style.pair)
            }
        }
        lastDrawn = buffer
        wnoutrefresh(window)
        doupdate()
    }

    /// After a resize ncurses must forget what it believes is on the screen.
    public func invalidate() {
        lastDrawn = nil
        clearok(window, true)
    }

    public func readKey(timeoutMilliseconds: Int) -> Key? {
        wtimeout(window, Int32(timeoutMilliseconds))
        var value: wint_t = 0
        let result = gw_get_wch(window, &value)
        if result == gw_err() {
            // A timeout and a dead terminal both read as ERR; only the second leaves the input hung up.
            var input = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            if poll(&input, 1, 0) > 0, input.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { hasHungUp = true }
            return nil
        }
        if result == gw_key_code_yes() {
            let code = Int32(value)
            switch code {
            case gw_key_up(): return .up
            case gw_key_down(): return .down
            case gw_key_left(): return .left
            case gw_key_right(): return .right
            case gw_key_ppage(): return .pageUp
            case gw_key_npage(): return .pageDown
            case gw_key_home(): return .home
            case gw_key_end(): return .end
            case gw_key_enter(): return .enter
            case gw_key_backspace(): return .backspace
            case gw_key_btab(): return .backTab
            case gw_key_resize():
                invalidate()
                return .resize
            case gw_key_f0()...(gw_key_f0() + 63): return .function(Int(code - gw_key_f0()))
            default: return nil
            }
        }
        switch value {
        case 27: return .escape
        case 9: return .tab
        case 10, 13: return .enter
        case 8, 127: return .backspace
        default:
            guard let scalar = Unicode.Scalar(UInt32(value)) else { return nil }
            return .character(Character(scalar))
        }
    }

    public func restore() {
        guard !restored else { return }
        restored = true
        curs_set(1)
        endwin()
        delscreen(screen)
    }

    /// A crash must not leave the terminal raw: restore it, then hand the signal to whoever handled it
    /// before (the Swift runtime's backtracer), so its report is printed on a sane terminal.
    private static func installCrashHandlers() {
        for signalNumber in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = crashHandler
            action.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND))
            sigemptyset(&action.sa_mask)
            sigaction(signalNumber, &action, previousCrashActions + Int(signalNumber))
        }
    }
}

/// Written once per signal before the handler can run, read only by the handler.
nonisolated(unsafe) private let previousCrashActions = UnsafeMutablePointer<sigaction>.allocate(capacity: 64)

private let crashHandler: @convention(c) (Int32) -> Void = { signalNumber in
    endwin()
    sigaction(signalNumber, previousCrashActions + Int(signalNumber), nil)
    raise(signalNumber)
}
