/// A colour as a theme file names it.
public enum ThemeColor: Sendable, Equatable, Hashable {
    /// The terminal's own foreground or background.
    case `default`
    /// 0–15: black, red, green, yellow, blue, magenta, cyan, white, then the bright variants.
    case ansi(Int)
    /// 0–255 of the xterm palette.
    case indexed(Int)
    case rgb(UInt8, UInt8, UInt8)

    public static let ansiNames = [
        "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
        "bright-black", "bright-red", "bright-green", "bright-yellow", "bright-blue", "bright-magenta", "bright-cyan",
        "bright-white",
    ]
}

/// How one role looks in a theme. Attributes are what a monochrome terminal still shows.
public struct ThemeStyle: Sendable, Equatable {
    public var foreground: ThemeColor
    public var background: ThemeColor
    public var bold: Bool
    public var dim: Bool
    public var underline: Bool
    public var reverse: Bool

    public init(
        foreground: ThemeColor = .default, background: ThemeColor = .default, bold: Bool = false, dim: Bool = false,
        underline: Bool = false, reverse: Bool = false
    ) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.dim = dim
        self.underline = underline
        self.reverse = reverse
    }
}

/// A named set of styles, one per role. A theme file may set only some roles: the rest come from the
/// theme it overlays (the built-in default).
public struct Theme: Sendable, Equatable {
    public var name: String
    public var styles: [StyleRole: ThemeStyle]

    public init(name: String, styles: [StyleRole: ThemeStyle]) {
        self.name = name
        self.styles = styles
    }

    public func style(for role: StyleRole) -> ThemeStyle {
        styles[role] ?? Theme.builtInDefault.styles[role] ?? ThemeStyle()
    }

    /// A copy with `overrides` laid over this theme's styles.
    public func overlaid(with overrides: [StyleRole: ThemeStyle], name: String) -> Theme {
        Theme(name: name, styles: styles.merging(overrides) { _, new in new })
    }

    /// Dark background, the fallback for every role a theme file leaves out.
    public static let builtInDefault = Theme(name: "default", styles: [
        .normal: ThemeStyle(),
        .dim: ThemeStyle(foreground: .ansi(8)),
        .title: ThemeStyle(foreground: .ansi(14), bold: true),
        .header: ThemeStyle(foreground: .ansi(15), background: .indexed(236)),
        .headerValue: ThemeStyle(foreground: .ansi(11), background: .indexed(236), bold: true),
        .border: ThemeStyle(foreground: .ansi(8)),
        .columnHeading: ThemeStyle(foreground: .ansi(6), bold: true),
        .selection: ThemeStyle(foreground: .ansi(0), background: .ansi(14), bold: true),
        .treeLine: ThemeStyle(foreground: .ansi(8)),
        .cluster: ThemeStyle(foreground: .ansi(12), bold: true),
        .server: ThemeStyle(foreground: .ansi(15)),
        .gid: ThemeStyle(foreground: .ansi(13)),
        .ok: ThemeStyle(foreground: .ansi(10)),
        .warning: ThemeStyle(foreground: .ansi(11), bold: true),
        .critical: ThemeStyle(foreground: .ansi(9), bold: true),
        .info: ThemeStyle(foreground: .ansi(6)),
        .unknown: ThemeStyle(foreground: .ansi(8)),
        .missing: ThemeStyle(foreground: .ansi(9), bold: true, underline: true),
        .rate: ThemeStyle(foreground: .ansi(7)),
        .sparkline: ThemeStyle(foreground: .ansi(2)),
        .footer: ThemeStyle(foreground: .ansi(7), background: .indexed(236)),
        .footerKey: ThemeStyle(foreground: .ansi(11), background: .indexed(236), bold: true),
        .filter: ThemeStyle(foreground: .ansi(11), bold: true),
        .paused: ThemeStyle(foreground: .ansi(0), background: .ansi(11), bold: true),
        .stale: ThemeStyle(foreground: .ansi(9), bold: true, reverse: true),
    ])

    /// Attributes only (htop's monochrome scheme): used when the terminal has no colours, NO_COLOR is
    /// set or `--color never` is given. Every state stays distinguishable by glyph or word as well.
    public static let monochrome = Theme(name: "mono", styles: [
        .normal: ThemeStyle(),
        .dim: ThemeStyle(dim: true),
        .title: ThemeStyle(bold: true),
        .header: ThemeStyle(reverse: true),
        .headerValue: ThemeStyle(bold: true, reverse: true),
        .border: ThemeStyle(dim: true),
        .columnHeading: ThemeStyle(underline: true),
        .selection: ThemeStyle(reverse: true),
        .treeLine: ThemeStyle(dim: true),
        .cluster: ThemeStyle(bold: true),
        .server: ThemeStyle(),
        .gid: ThemeStyle(),
        .ok: ThemeStyle(),
        .warning: ThemeStyle(bold: true),
        .critical: ThemeStyle(bold: true, underline: true),
        .info: ThemeStyle(),
        .unknown: ThemeStyle(dim: true),
        .missing: ThemeStyle(underline: true, reverse: true),
        .rate: ThemeStyle(),
        .sparkline: ThemeStyle(),
        .footer: ThemeStyle(reverse: true),
        .footerKey: ThemeStyle(bold: true, reverse: true),
        .filter: ThemeStyle(bold: true),
        .paused: ThemeStyle(bold: true, reverse: true),
        .stale: ThemeStyle(bold: true, reverse: true),
    ])
}

/// A colour the terminal can actually show.
public enum TerminalColor: Sendable, Equatable, Hashable {
    case `default`
    /// A palette index below the terminal's colour count.
    case index(Int)
}

public struct ResolvedStyle: Sendable, Equatable, Hashable {
    public var foreground: TerminalColor
    public var background: TerminalColor
    public var bold: Bool
    public var dim: Bool
    public var underline: Bool
    public var reverse: Bool
}

/// A theme mapped onto what one terminal can show (256, 16, 8 or no colours).
public struct ResolvedTheme: Sendable, Equatable {
    public var name: String
    public var styles: [StyleRole: ResolvedStyle]

    public init(_ theme: Theme, colors: Int) {
        let source = colors < 8 ? Theme.monochrome : theme
        name = source.name
        var styles: [StyleRole: ResolvedStyle] = [:]
        for role in StyleRole.allCases {
            let style = source.style(for: role)
            styles[role] = ResolvedStyle(
                foreground: ColorMapper.map(style.foreground, colors: colors),
                background: ColorMapper.map(style.background, colors: colors),
                bold: style.bold, dim: style.dim, underline: style.underline, reverse: style.reverse)
        }
        self.styles = styles
    }

    public func style(for role: StyleRole) -> ResolvedStyle { styles[role]! }
}

/// Maps theme colours to a terminal's palette: hex onto the xterm 256-colour cube, and 256 or hex
/// down to the 16 or 8 ANSI colours by nearest distance.
public enum ColorMapper {
    public static func map(_ color: ThemeColor, colors: Int) -> TerminalColor {
        guard colors >= 8 else { return .default }
        switch color {
        case .default: return .default
        case .ansi(let index):
            let index = min(max(index, 0), 15)
            if colors >= 16 || index < 8 { return .index(index) }
            // Bright colours on 8 lose their brightness; bright-black becomes white, not black, so
            // dim text stays visible on the dark backgrounds these themes are for.
            return .index(index == 8 ? 7 : index - 8)
        case .indexed(let index):
            let index = min(max(index, 0), 255)
            if colors >= 256 { return .index(index) }
            return .index(nearestANSI(rgb(ofIndexed: index), count: colors >= 16 ? 16 : 8))
        case .rgb(let r, let g, let b):
            if colors >= 256 { return .index(nearest256(r, g, b)) }
            return .index(nearestANSI((Int(r), Int(g), Int(b)), count: colors >= 16 ? 16 : 8))
        }
    }

    static let ansiRGB: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    static let cubeLevels = [0, 95, 135, 175, 215, 255]

    static func rgb(ofIndexed index: Int) -> (Int, Int, Int) {
        switch index {
        case 0..<16: return ansiRGB[index]
        case 16..<232:
            let i = index - 16
            return (cubeLevels[i / 36], cubeLevels[i / 6 % 6], cubeLevels[i % 6])
        default:
            let level = 8 + (index - 232) * 10
            return (level, level, level)
        }
    }

    static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let dr = a.0 - b.0, dg = a.1 - b.1, db = a.2 - b.2
        return dr * dr + dg * dg + db * db
    }

    static func nearestANSI(_ color: (Int, Int, Int), count: Int) -> Int {
        // Greys go to black, bright-black or white by lightness: by distance alone a mid grey lands on
        // xterm's (205,205,0) yellow.
        let channels = [color.0, color.1, color.2]
        if (channels.max() ?? 0) - (channels.min() ?? 0) < 24 {
            let lightness = channels.reduce(0, +) / 3
            if count >= 16 {
                return lightness < 64 ? 0 : lightness < 170 ? 8 : lightness < 240 ? 7 : 15
            }
            return lightness < 128 ? 0 : 7
        }
        return (0..<count).min { distance(ansiRGB[$0], color) < distance(ansiRGB[$1], color) } ?? 7
    }

    /// Nearest of the 6×6×6 cube and the 24 greys (the first 16 vary between terminals, so avoided).
    static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        let target = (Int(r), Int(g), Int(b))
        return (16..<256).min { distance(rgb(ofIndexed: $0), target) < distance(rgb(ofIndexed: $1), target) } ?? 15
    }
}
