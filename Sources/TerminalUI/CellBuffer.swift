/// A grid of cells that widgets draw into. Tests read it as text plus a role map; the ncurses backend
/// copies it to the screen (and ncurses sends only what changed).
public struct CellBuffer: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Writes `text` at (x, y), clipped to `clip` (default: the whole buffer) and to `maxWidth` columns.
    /// Returns the column after the last one written. Control characters never reach a cell: they are
    /// replaced by U+FFFD here as a last line of defence (callers sanitise server strings before).
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, role: StyleRole, maxWidth: Int? = nil, clip: Rect? = nil) -> Int {
        let bounds = clip ?? area
        guard y >= bounds.y, y < bounds.maxY, y >= 0, y < height else { return x }
        let limit = min(bounds.maxX, width, maxWidth.map { x + $0 } ?? Int.max)
        var column = x
        for character in text {
            let safe: Character = character.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
                ? "\u{FFFD}" : character
            let w = displayWidth(of: safe)
            if w == 0 { continue }
            if column + w > limit { break }
            if column >= bounds.x && column >= 0 {
                self[column, y] = Cell(String(safe), role: role)
                if w == 2 { self[column + 1, y] = Cell("", role: role) }
            }
            column += w
        }
        return column
    }

    /// Fills a rectangle with one character and role.
    public mutating func fill(_ rect: Rect, with text: String = " ", role: StyleRole) {
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) {
                self[x, y] = Cell(text, role: role)
            }
        }
    }

    /// Changes the role of cells without touching their text (selection highlight).
    public mutating func setRole(_ role: StyleRole, in rect: Rect) {
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) {
                self[x, y].role = role
            }
        }
    }

    /// The screen as lines of text, trailing spaces kept so columns line up in snapshots.
    public var lines: [String] {
        (0..<height).map { y in
            var line = ""
            for x in 0..<width { line += self[x, y].text }
            return line
        }
    }

    /// One role code per cell (see `StyleRole.code`), continuation cells repeating their role.
    public var roleLines: [String] {
        (0..<height).map { y in String((0..<width).map { self[$0, y].role.code }) }
    }

    public var text: String { lines.joined(separator: "\n") }
}
