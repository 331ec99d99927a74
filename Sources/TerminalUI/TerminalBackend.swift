/// A key press, decoded from the terminal.
public enum Key: Sendable, Hashable {
    case character(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace
    case function(Int)
    case resize
    case mouseClick(x: Int, y: Int)
    case mouseScrollUp, mouseScrollDown

    public static func ctrl(_ letter: Character) -> Key {
        .character(Character(Unicode.Scalar((letter.asciiValue ?? 64) & 0x1F)))
    }
}

/// What the terminal can show; decided once at start.
public struct TerminalCapabilities: Sendable, Equatable {
    /// 0 (monochrome), 8, 16, 256, or 16_777_216 for direct colour.
    public var colors: Int
    public var unicode: Bool

    public init(colors: Int, unicode: Bool) {
        self.colors = colors
        self.unicode = unicode
    }
}

/// The only code that talks to a real terminal implements this; everything else draws into a
/// `CellBuffer`.
public protocol TerminalBackend: AnyObject {
    var capabilities: TerminalCapabilities { get }
    /// Current size in cells (columns, rows).
    var size: (width: Int, height: Int) { get }
    /// Installs the theme's colours (called at start and when the theme changes).
    func apply(_ theme: ResolvedTheme)
    /// Shows `buffer`; only the cells that changed since the last draw are sent to the terminal.
    func draw(_ buffer: CellBuffer)
    /// Waits up to `timeoutMilliseconds` for a key; nil when none arrived.
    func readKey(timeoutMilliseconds: Int) -> Key?
    /// True once the terminal has gone (an SSH connection dropped, a terminal window closed): its input
    /// has hung up. A hangup signal does not always arrive: a parent shell that ignores SIGHUP (as under
    /// `nohup`) survives the hangup, and the kernel then signals no one else; reads just fail at once.
    var hasHungUp: Bool { get }
    /// Gives the terminal back as it was. Safe to call more than once.
    func restore()
}
