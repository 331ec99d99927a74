/// What a cell means, not how it looks: themes map roles to colours and attributes.
public enum StyleRole: String, Sendable, CaseIterable, Hashable {
    case normal
    case dim
    case title            // pane titles, the product name
    case header           // the header bar background text
    case headerValue      // numbers in the header
    case border
    case columnHeading
    case selection        // the selected row
    case treeLine         // tree guides │├└
    case cluster          // cluster names
    case server           // server names
    case gid              // gid:N
    case ok
    case warning
    case critical
    case info
    case unknown          // not polled, unknown state
    case missing          // "missing → cluster" rows
    case rate             // msgs/s, bytes/s
    case sparkline
    case footer
    case footerKey
    case filter           // the filter prompt
    case paused           // PAUSED / REPLAY markers
    case stale            // an old last good poll

    /// One-character code per role, for role maps in snapshot tests.
    public var code: Character {
        switch self {
        case .normal: "."
        case .dim: "d"
        case .title: "T"
        case .header: "h"
        case .headerValue: "H"
        case .border: "b"
        case .columnHeading: "c"
        case .selection: "S"
        case .treeLine: "l"
        case .cluster: "C"
        case .server: "s"
        case .gid: "g"
        case .ok: "o"
        case .warning: "W"
        case .critical: "X"
        case .info: "i"
        case .unknown: "u"
        case .missing: "M"
        case .rate: "r"
        case .sparkline: "k"
        case .footer: "f"
        case .footerKey: "F"
        case .filter: "/"
        case .paused: "P"
        case .stale: "t"
        }
    }
}

/// One terminal cell: a grapheme and its role. A wide grapheme occupies its cell and the next, which
/// holds an empty continuation (`text == ""`).
public struct Cell: Sendable, Equatable {
    public var text: String
    public var role: StyleRole

    public init(_ text: String = " ", role: StyleRole = .normal) {
        self.text = text
        self.role = role
    }

    public static let blank = Cell()
    public var isContinuation: Bool { text.isEmpty }
}

public struct Rect: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }

    /// Splits off `rows` rows from the top.
    public func top(_ rows: Int) -> (top: Rect, rest: Rect) {
        let taken = min(max(0, rows), height)
        return (Rect(x: x, y: y, width: width, height: taken), Rect(x: x, y: y + taken, width: width, height: height - taken))
    }

    public func bottom(_ rows: Int) -> (rest: Rect, bottom: Rect) {
        let taken = min(max(0, rows), height)
        return (Rect(x: x, y: y, width: width, height: height - taken), Rect(x: x, y: maxY - taken, width: width, height: taken))
    }

    public func inset(by amount: Int) -> Rect {
        Rect(x: x + amount, y: y + amount, width: width - 2 * amount, height: height - 2 * amount)
    }
}

/// Display width of a grapheme in terminal columns (0, 1 or 2). Computed here rather than with the C
/// library's wcwidth, whose answer depends on the process locale (it says -1 for every non-ASCII
/// character in the C locale), so layout is the same in tests and on every terminal.
public func displayWidth(of character: Character) -> Int {
    var width = 0
    for scalar in character.unicodeScalars {
        width = max(width, displayWidth(of: scalar))
    }
    return width
}

func displayWidth(of scalar: Unicode.Scalar) -> Int {
    let value = scalar.value
    if value < 0x20 || (0x7F..<0xA0).contains(value) { return 1 }  // drawn as a replacement
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .enclosingMark, .format: return 0
    default: break
    }
    if value == 0x200B || (0xFE00...0xFE0F).contains(value) { return 0 }
    let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0, 0x23F3...0x23F3,
        0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693, 0x26A1...0x26A1,
        0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA,
        0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B,
        0x2728...0x2728, 0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55,
        0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
        0x16FE0...0x18CFF, 0x1B000...0x1B2FF, 0x1F004...0x1F004, 0x1F0CF...0x1F0CF, 0x1F18E...0x1F18E,
        0x1F191...0x1F19A, 0x1F200...0x1F251, 0x1F300...0x1F64F, 0x1F680...0x1F6FF, 0x1F7E0...0x1F7EB,
        0x1F90C...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
    for range in wide where range.contains(value) { return 2 }
    return 1
}

public func displayWidth(of text: String) -> Int { text.reduce(0) { $0 + displayWidth(of: $1) } }
