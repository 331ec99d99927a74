import Foundation
import TestSupport
import Testing

@testable import TerminalUI

/// The repository root: this file is Tests/TerminalUITests/ThemeTests.swift.
private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
private let themesDirectory = repositoryRoot + "/Themes"
private let shippedThemeNames = ["default", "high-contrast", "light", "mono", "nord", "solarized-dark"]
private let colourDepths = [256, 16, 8, 0]

private func shipped(_ name: String) throws -> Theme {
    try ThemeLoader.load(path: "\(themesDirectory)/\(name).yaml")
}

/// Every role present, every attribute and colour off: a base that contributes nothing.
private let plainBase = Theme(name: "plain", styles: Dictionary(uniqueKeysWithValues: StyleRole.allCases.map { ($0, ThemeStyle()) }))

/// Every role present with every attribute on and a colour no theme uses: whatever survives a parse
/// over it was not set by the file.
private let poisonBase = Theme(name: "poison", styles: Dictionary(uniqueKeysWithValues: StyleRole.allCases.map {
    ($0, ThemeStyle(foreground: .indexed(1), background: .indexed(1), bold: true, dim: true, underline: true, reverse: true))
}))

private func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-themes-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite struct ThemeFileTests {
    @Test func themesDirectoryHoldsTheShippedThemes() {
        let names = ThemeLoader.themeFiles(in: themesDirectory).map { ThemeLoader.defaultName(forFile: $0) }
        #expect(names == shippedThemeNames)
    }

    @Test(arguments: ThemeLoader.themeFiles(in: themesDirectory))
    func everyThemeFileLoads(path: String) throws {
        let definition = try ThemeLoader.loadDefinition(path: path)
        #expect(definition.theme.name == ThemeLoader.defaultName(forFile: path))
        #expect(definition.description?.isEmpty == false)
        #expect(Set(definition.theme.styles.keys) == Set(StyleRole.allCases))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("# \(definition.theme.name): "), "each theme file starts with a comment saying what it is for")
    }

    @Test(arguments: shippedThemeNames, colourDepths)
    func everyThemeResolves(name: String, colors: Int) throws {
        let theme = try shipped(name)
        let resolved = ResolvedTheme(theme, colors: colors)
        for role in StyleRole.allCases {
            let style = resolved.style(for: role)
            for color in [style.foreground, style.background] {
                if case .index(let index) = color { #expect((0..<colors).contains(index), "\(name) \(role) at \(colors)") }
            }
        }
        if colors == 0 { #expect(resolved.styles == ResolvedTheme(.monochrome, colors: 0).styles) }
    }

    /// A shipped theme looks the same whatever the built-in default is, so a change to `builtInDefault`
    /// cannot silently restyle it.
    @Test(arguments: shippedThemeNames)
    func shippedThemesDoNotDependOnTheBuiltInDefault(name: String) throws {
        let path = "\(themesDirectory)/\(name).yaml"
        let overDefault = try ThemeLoader.load(path: path)
        let overPlain = try ThemeLoader.load(path: path, base: plainBase)
        for role in StyleRole.allCases {
            #expect(overDefault.style(for: role) == overPlain.style(for: role), "\(name).yaml \(role)")
        }
    }

    @Test func defaultFileIsTheBuiltInDefault() throws {
        let theme = try ThemeLoader.load(path: "\(themesDirectory)/default.yaml", base: plainBase)
        #expect(theme == Theme.builtInDefault)
    }

    @Test func monoFileUsesNoColourAndMirrorsMonochrome() throws {
        let theme = try ThemeLoader.load(path: "\(themesDirectory)/mono.yaml", base: poisonBase)
        for role in StyleRole.allCases {
            let style = theme.style(for: role)
            #expect(style.foreground == .default && style.background == .default, "\(role)")
            #expect(style == Theme.monochrome.style(for: role), "\(role)")
        }
        #expect(theme == Theme.monochrome)
        let resolved = ResolvedTheme(theme, colors: 256)
        #expect(resolved.styles.values.allSatisfy { $0.foreground == .default && $0.background == .default })
    }

    /// ok, warning, critical and missing never look alike, at any colour depth.
    @Test(arguments: shippedThemeNames, [256, 16, 8])
    func statesStayDistinguishable(name: String, colors: Int) throws {
        let resolved = ResolvedTheme(try shipped(name), colors: colors)
        let states: [StyleRole] = [.ok, .warning, .critical, .missing]
        let check = {
            for (i, a) in states.enumerated() {
                for b in states[(i + 1)...] {
                    #expect(resolved.style(for: a) != resolved.style(for: b), "\(name) at \(colors) colours: \(a) looks like \(b)")
                }
            }
        }
        check()
    }

    /// Besides hue, the states differ by attribute (ok plain, warning bold, critical bold+underline,
    /// missing reversed) in the themes this repository adds; `default` mirrors the built-in look, which
    /// tells warning from critical by hue only.
    @Test(arguments: ["high-contrast", "light", "nord", "solarized-dark"])
    func statesDifferByAttributeAlone(name: String) throws {
        let theme = try shipped(name)
        let states: [StyleRole] = [.ok, .warning, .critical, .missing]
        let attributes = states.map { role in
            let style = theme.style(for: role)
            return [style.bold, style.dim, style.underline, style.reverse]
        }
        #expect(Set(attributes).count == states.count, "\(name): \(attributes)")
    }

    @Test func monochromeStatesAreDistinguishableWithoutColour() {
        let resolved = ResolvedTheme(.builtInDefault, colors: 0)
        #expect(resolved.style(for: .missing) != resolved.style(for: .critical))
        #expect(resolved.style(for: .ok) != resolved.style(for: .warning))
        #expect(resolved.style(for: .warning) != resolved.style(for: .critical))
    }

    struct ContrastCase: Sendable, CustomTestStringConvertible {
        let name: String
        /// The background the theme is made for, where it leaves the terminal's own.
        let terminalBackground: (Int, Int, Int)
        /// WCAG contrast ratio text needs, and what borders, tree lines and dim text (meant to recede) need.
        let text: Double
        let receding: Double
        var testDescription: String { name }
    }

    /// Text stands out from the background it is drawn on (at 256 colours, after hex is mapped onto the
    /// palette): WCAG AA (4.5) for high-contrast, 3 for most themes. Nord is a low-contrast palette by
    /// design: aurora red on polar night is about 3:1 in true colour and 2.5:1 once mapped to 256
    /// colours, and its comment grey (used for dim text) under 2:1.
    @Test(arguments: [
        ContrastCase(name: "default", terminalBackground: (0, 0, 0), text: 3, receding: 1.8),
        ContrastCase(name: "high-contrast", terminalBackground: (0, 0, 0), text: 4.5, receding: 4.5),
        ContrastCase(name: "light", terminalBackground: (255, 255, 255), text: 3, receding: 1.8),
        ContrastCase(name: "solarized-dark", terminalBackground: (0x00, 0x2b, 0x36), text: 3, receding: 1.8),
        ContrastCase(name: "nord", terminalBackground: (0x2e, 0x34, 0x40), text: 2.4, receding: 1.8),
    ])
    func textContrastsWithItsBackground(_ contrastCase: ContrastCase) throws {
        let (name, terminalBackground) = (contrastCase.name, contrastCase.terminalBackground)
        let resolved = ResolvedTheme(try shipped(name), colors: 256)
        let receding: Set<StyleRole> = [.dim, .border, .treeLine, .unknown]
        let terminal = ColorMapper.rgb(ofIndexed: ColorMapper.nearest256(
            UInt8(terminalBackground.0), UInt8(terminalBackground.1), UInt8(terminalBackground.2)))
        for role in StyleRole.allCases {
            let style = resolved.style(for: role)
            guard case .index(let fgIndex) = style.foreground else { continue }
            var background = terminal
            if case .index(let bgIndex) = style.background { background = ColorMapper.rgb(ofIndexed: bgIndex) }
            let ratio = contrast(ColorMapper.rgb(ofIndexed: fgIndex), background)
            let needed = receding.contains(role) ? contrastCase.receding : contrastCase.text
            #expect(ratio >= needed, "\(name) \(role): contrast \(ratio) below \(needed)")
        }
    }

    /// On a light background no text is light: at 256 colours by luminance; on 16 and 8 colours (the
    /// terminal's own palette) no text falls on yellow, white or a bright colour other than bright-black.
    @Test(arguments: [256, 16, 8])
    func lightThemeKeepsTextDark(colors: Int) throws {
        let resolved = ResolvedTheme(try shipped("light"), colors: colors)
        for role in StyleRole.allCases {
            let style = resolved.style(for: role)
            guard style.background == .default, case .index(let index) = style.foreground else { continue }
            if colors == 256 {
                #expect(luminance(ColorMapper.rgb(ofIndexed: index)) < 0.3, "light \(role): index \(index) is too light")
            } else {
                #expect(![3, 7, 9, 10, 11, 12, 13, 14, 15].contains(index), "light \(role) at \(colors) colours: index \(index)")
            }
        }
    }

    /// On a dark background no text turns black when the palette shrinks to 16 or 8 colours.
    @Test(arguments: ["default", "high-contrast", "nord", "solarized-dark"], [16, 8])
    func darkThemesKeepTextVisible(name: String, colors: Int) throws {
        let resolved = ResolvedTheme(try shipped(name), colors: colors)
        let check = {
            for role in StyleRole.allCases {
                let style = resolved.style(for: role)
                guard style.background == .default || style.background == .index(0) else { continue }
                #expect(style.foreground != .index(0), "\(name) \(role) at \(colors) colours is black on black")
            }
        }
        check()
    }

    /// On 8 colours a mid grey should become black or white, not yellow.
    @Test func greysStayGreyOnEightColours() {
        #expect([.index(0), .index(7)].contains(ColorMapper.map(.rgb(0x80, 0x80, 0x80), colors: 8)))
        #expect([.index(0), .index(7)].contains(ColorMapper.map(.indexed(244), colors: 8)))
    }
}

@Suite struct ThemeParsingTests {
    @Test func partialThemeOverlaysTheBase() throws {
        let theme = try ThemeLoader.parse(yaml: """
            roles:
              critical: { bold: false }
              selection: { bg: "#002b36" }
            """, file: "themes/partial.yaml")
        #expect(theme.name == "partial")
        #expect(theme.style(for: .critical) == ThemeStyle(foreground: .ansi(9), bold: false))
        #expect(theme.style(for: .selection) == ThemeStyle(foreground: .ansi(0), background: .rgb(0x00, 0x2b, 0x36), bold: true))
        for role in StyleRole.allCases where role != .critical && role != .selection {
            #expect(theme.style(for: role) == Theme.builtInDefault.style(for: role), "\(role)")
        }
    }

    @Test func overlayUsesTheGivenBase() throws {
        let theme = try ThemeLoader.parse(yaml: "name: bolder\nroles:\n  ok: { bold: true }\n", file: "x.yaml", base: .monochrome)
        #expect(theme.name == "bolder")
        #expect(theme.style(for: .ok) == ThemeStyle(bold: true))
        #expect(theme.style(for: .header) == Theme.monochrome.style(for: .header))
    }

    @Test func emptyFileIsTheBase() throws {
        let theme = try ThemeLoader.parse(yaml: "# nothing yet\n", file: "/tmp/empty.yaml")
        #expect(theme == Theme(name: "empty", styles: Theme.builtInDefault.styles))
    }

    @Test func allStyleKeys() throws {
        let theme = try ThemeLoader.parse(yaml: """
            roles:
              rate: { fg: 33, bg: bright-black, bold: yes, dim: true, underline: on, reverse: True }
              info: { fg: "#ABC", bg: default, bold: false, dim: no, underline: off, reverse: false }
            """, file: "x.yaml")
        #expect(theme.style(for: .rate) == ThemeStyle(
            foreground: .indexed(33), background: .ansi(8), bold: true, dim: true, underline: true, reverse: true))
        #expect(theme.style(for: .info) == ThemeStyle(foreground: .rgb(0xaa, 0xbb, 0xcc)))
    }

    @Test func colourSyntax() {
        #expect(ThemeLoader.parseColor("default") == .default)
        #expect(ThemeLoader.parseColor("black") == .ansi(0))
        #expect(ThemeLoader.parseColor("bright-white") == .ansi(15))
        #expect(ThemeLoader.parseColor("Bright-Red") == .ansi(9))
        for (index, name) in ThemeColor.ansiNames.enumerated() { #expect(ThemeLoader.parseColor(name) == .ansi(index)) }
        #expect(ThemeLoader.parseColor("0") == .indexed(0))
        #expect(ThemeLoader.parseColor("255") == .indexed(255))
        #expect(ThemeLoader.parseColor("#ff0000") == .rgb(255, 0, 0))
        #expect(ThemeLoader.parseColor("#93A1a1") == .rgb(0x93, 0xa1, 0xa1))
        #expect(ThemeLoader.parseColor("#f80") == .rgb(0xff, 0x88, 0x00))
        for bad in ["", "256", "300", "-1", "1.5", "#12345g", "#1234", "#+f0000", "ff0000", "purple-ish", "bright_red", "grey"] {
            #expect(ThemeLoader.parseColor(bad) == nil, "\(bad)")
        }
    }

    @Test func hexMapsOntoThePalette() {
        #expect(ColorMapper.map(.rgb(0xff, 0, 0), colors: 256) == .index(196))
        #expect(ColorMapper.map(.rgb(0, 0, 0), colors: 256) == .index(16))
        #expect(ColorMapper.map(.rgb(0xff, 0xff, 0xff), colors: 256) == .index(231))
        #expect(ColorMapper.map(.rgb(0x80, 0x80, 0x80), colors: 256) == .index(244))  // grey ramp: 8 + 10 × 12
        #expect(ColorMapper.map(.rgb(0x30, 0x30, 0x30), colors: 256) == .index(236))
        #expect(ColorMapper.map(.rgb(0x00, 0x2b, 0x36), colors: 256) == .index(234))  // solarized base03
        #expect(ColorMapper.map(.rgb(0xff, 0, 0), colors: 16) == .index(9))
        #expect(ColorMapper.map(.rgb(0xff, 0, 0), colors: 8) == .index(1))
        #expect(ColorMapper.map(.rgb(0x80, 0x80, 0x80), colors: 16) == .index(8))
        #expect(ColorMapper.map(.indexed(236), colors: 16) == .index(0))
        #expect(ColorMapper.map(.indexed(196), colors: 16) == .index(9))
        #expect(ColorMapper.map(.indexed(196), colors: 256) == .index(196))
        #expect(ColorMapper.map(.ansi(9), colors: 16) == .index(9))
        #expect(ColorMapper.map(.ansi(9), colors: 8) == .index(1))
        #expect(ColorMapper.map(.ansi(9), colors: 0) == .default)
        #expect(ColorMapper.map(.default, colors: 256) == .default)
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        let yaml: String
        let expected: String
        var testDescription: String { expected }
    }

    static let roleList = "border, cluster, columnHeading, critical, dim, filter, footer, footerKey, gid, header, headerValue, "
        + "info, missing, normal, ok, paused, rate, selection, server, sparkline, stale, title, treeLine, unknown, warning"
    static let colourHelp = "expected default, an ANSI name (black … bright-white), 0-255 or #rrggbb"

    @Test(arguments: [
        ErrorCase(yaml: "name: x\ncolours:\n  ok: red\n",
            expected: "themes/x.yaml:2: unknown key \"colours\" at the top level; expected one of: description, name, roles"),
        ErrorCase(yaml: "# a theme\nname: x\nroles:\n  selecton: { fg: red }\n",
            expected: "themes/x.yaml:4: unknown role \"selecton\" in roles; expected one of: \(roleList)"),
        ErrorCase(yaml: "roles:\n  ok: { fg: red }\n  Critical: { fg: red }\n",
            expected: "themes/x.yaml:3: unknown role \"Critical\" in roles; expected one of: \(roleList)"),
        ErrorCase(yaml: "roles:\n  critical:\n    fg: red\n    colour: blue\n",
            expected: "themes/x.yaml:4: unknown key \"colour\" in roles.critical; expected one of: bg, bold, dim, fg, reverse, underline"),
        ErrorCase(yaml: "roles:\n  critical: { fg: \"#12345g\" }\n",
            expected: "themes/x.yaml:2: bad colour \"#12345g\" for roles.critical.fg; \(colourHelp)"),
        ErrorCase(yaml: "name: x\ndescription: y\nroles:\n  ok: {}\n  critical:\n    fg: purple-ish\n",
            expected: "themes/x.yaml:6: bad colour \"purple-ish\" for roles.critical.fg; \(colourHelp)"),
        ErrorCase(yaml: "roles:\n  header: { fg: default, bg: 300 }\n",
            expected: "themes/x.yaml:2: bad colour \"300\" for roles.header.bg; \(colourHelp)"),
        ErrorCase(yaml: "roles:\n  header:\n    bg: [1, 2]\n",
            expected: "themes/x.yaml:3: bad colour for roles.header.bg: found a list; \(colourHelp)"),
        ErrorCase(yaml: "roles:\n  header:\n    fg: #002b36\n",
            expected: "themes/x.yaml:3: no colour given for roles.header.fg; \(colourHelp) "
                + "(quote hex colours: \"#rrggbb\", since an unquoted # starts a YAML comment)"),
        ErrorCase(yaml: "roles:\n  warning: { bold: maybe }\n",
            expected: "themes/x.yaml:2: bad value \"maybe\" for roles.warning.bold; expected true or false"),
        ErrorCase(yaml: "roles:\n  warning: { underline: 1 }\n",
            expected: "themes/x.yaml:2: bad value \"1\" for roles.warning.underline; expected true or false"),
        ErrorCase(yaml: "roles:\n  warning:\n    reverse: { x: 1 }\n",
            expected: "themes/x.yaml:3: bad value for roles.warning.reverse: found a mapping; expected true or false"),
        ErrorCase(yaml: "roles:\n  critical: bright-red\n",
            expected: "themes/x.yaml:2: roles.critical: expected a mapping such as { fg: red, bold: true }, found \"bright-red\""),
        ErrorCase(yaml: "roles:\n  critical:\n",
            expected: "themes/x.yaml:2: roles.critical: expected a mapping such as { fg: red, bold: true }, found nothing"),
        ErrorCase(yaml: "name: x\nroles:\n  - critical\n",
            expected: "themes/x.yaml:3: roles: expected a mapping of role names to styles, found a list"),
        ErrorCase(yaml: "just some text\n",
            expected: "themes/x.yaml:1: the top level: expected a mapping (name, description, roles), found \"just some text\""),
        ErrorCase(yaml: "name: [a, b]\n",
            expected: "themes/x.yaml:1: name: expected a string, found a list"),
        ErrorCase(yaml: "name: \"\"\n",
            expected: "themes/x.yaml:1: name: must not be empty"),
        ErrorCase(yaml: "description:\nname:\n",
            expected: "themes/x.yaml:2: name: expected a string, found nothing"),
        ErrorCase(yaml: "name: x\nroles:\n  ok: { fg: red\n  warning: { fg: yellow }\n",
            expected: "themes/x.yaml:4: not valid YAML: did not find expected ',' or '}'"),
        ErrorCase(yaml: "roles:\n\tok: { fg: red }\n",
            expected: "themes/x.yaml:2: not valid YAML: found character that cannot start any token"),
        ErrorCase(yaml: "roles:\n  ok: { fg: red }\n  ok: { fg: green }\n",
            expected: "themes/x.yaml:2: duplicated key \"ok\" in one mapping"),
    ])
    func errorsAreLocatedAndExplained(_ errorCase: ErrorCase) {
        #expect(throws: ThemeError.self) { try ThemeLoader.parse(yaml: errorCase.yaml, file: "themes/x.yaml") }
        do {
            _ = try ThemeLoader.parse(yaml: errorCase.yaml, file: "themes/x.yaml")
        } catch {
            #expect("\(error)" == errorCase.expected)
        }
    }

    @Test func unreadableFilesAreNamed() throws {
        let missing = "/nonexistent/gwtop/nothing.yaml"
        #expect(throws: ThemeError(file: missing, line: nil, message: "cannot read the theme file (missing or not readable)")) {
            try ThemeLoader.load(path: missing)
        }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: ThemeError(file: directory, line: nil, message: "is a directory, not a theme file")) {
            try ThemeLoader.load(path: directory)
        }
        let binary = directory + "/binary.yaml"
        _ = FileManager.default.createFile(atPath: binary, contents: Data([0xff, 0xfe, 0x00, 0x41]))
        do {
            _ = try ThemeLoader.load(path: binary)
            Issue.record("a non-UTF-8 file loaded")
        } catch {
            #expect("\(error)" == "\(binary): the theme file is not UTF-8 text")
        }
    }
}

@Suite struct ThemeLookupTests {
    @Test func namesAreLookedUpInTheSearchDirectories() throws {
        let nord = try ThemeLoader.resolve(nameOrPath: "nord", searchDirectories: [themesDirectory])
        #expect(nord == (try shipped("nord")))
        #expect(nord.name == "nord")
        #expect(try ThemeLoader.resolve(nameOrPath: "mono", searchDirectories: [themesDirectory]) == Theme.monochrome)
    }

    @Test func builtInNamesNeedNoFiles() throws {
        #expect(try ThemeLoader.resolve(nameOrPath: "default", searchDirectories: []) == Theme.builtInDefault)
        #expect(try ThemeLoader.resolve(nameOrPath: "mono", searchDirectories: ["/nonexistent"]) == Theme.monochrome)
        #expect(ThemeLoader.builtInNames == ["default", "mono"])
    }

    @Test func earlierDirectoriesWin() throws {
        let user = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: user) }
        try "name: my-nord\nroles:\n  ok: { fg: blue }\n".write(toFile: user + "/nord.yaml", atomically: true, encoding: .utf8)
        let theme = try ThemeLoader.resolve(nameOrPath: "nord", searchDirectories: [user, themesDirectory])
        #expect(theme.name == "my-nord")
        #expect(theme.style(for: .ok).foreground == .ansi(4))
        let shippedNord = try ThemeLoader.resolve(nameOrPath: "nord", searchDirectories: [themesDirectory, user])
        #expect(shippedNord.name == "nord")
    }

    @Test func pathsAreLoadedDirectly() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/mine.yaml"
        try "roles:\n  ok: { fg: \"#00ff00\" }\n".write(toFile: path, atomically: true, encoding: .utf8)
        let theme = try ThemeLoader.resolve(nameOrPath: path, searchDirectories: [])
        #expect(theme.name == "mine")
        #expect(theme.style(for: .ok).foreground == .rgb(0, 0xff, 0))
        #expect(throws: ThemeError(file: "nowhere.yaml", line: nil, message: "cannot read the theme file (missing or not readable)")) {
            try ThemeLoader.resolve(nameOrPath: "nowhere.yaml", searchDirectories: [themesDirectory])
        }
    }

    @Test func unknownNamesListWhatIsAvailable() {
        let missing = "/nonexistent/gwtop/themes"
        #expect(throws: ThemeError(file: nil, line: nil, message:
            "unknown theme \"solarised\"; expected one of: default, high-contrast, light, mono, nord, solarized-dark "
                + "(a name is looked up as NAME.yaml in: \(missing), \(themesDirectory))"))
        {
            try ThemeLoader.resolve(nameOrPath: "solarised", searchDirectories: [missing, themesDirectory])
        }
        do {
            _ = try ThemeLoader.resolve(nameOrPath: "nord", searchDirectories: [])
            Issue.record("nord resolved without a directory")
        } catch {
            #expect("\(error)" == "unknown theme \"nord\"; expected one of: default, mono (no theme directories to search)")
        }
    }

    @Test func discoveryListsYAMLFilesOnly() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["b.yaml", "a.yaml", "notes.txt", "c.yml", ".hidden.yaml"] {
            _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data("name: x\n".utf8))
        }
        try FileManager.default.createDirectory(atPath: directory + "/dir.yaml", withIntermediateDirectories: false)
        #expect(ThemeLoader.themeFiles(in: directory) == [directory + "/a.yaml", directory + "/b.yaml"])
        #expect(ThemeLoader.themeFiles(in: directory + "/") == [directory + "/a.yaml", directory + "/b.yaml"])
        #expect(ThemeLoader.themeFiles(in: "/nonexistent/gwtop") == [])
        #expect(ThemeLoader.availableNames(searchDirectories: [directory, themesDirectory])
            == ["a", "b", "default", "high-contrast", "light", "mono", "nord", "solarized-dark"])
    }

    @Test func userThemeDirectory() {
        #expect(ThemeLoader.userThemeDirectory(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/gwtop/themes")
        #expect(ThemeLoader.userThemeDirectory(environment: ["XDG_CONFIG_HOME": "", "HOME": "/h"]) == "/h/.config/gwtop/themes")
        #expect(ThemeLoader.userThemeDirectory(environment: [:]) == nil)
    }
}

// MARK: Contrast (WCAG 2 relative luminance)

private func luminance(_ rgb: (Int, Int, Int)) -> Double {
    func channel(_ value: Int) -> Double {
        let c = Double(value) / 255
        return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
    }
    return 0.2126 * channel(rgb.0) + 0.7152 * channel(rgb.1) + 0.0722 * channel(rgb.2)
}

private func contrast(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Double {
    let (la, lb) = (luminance(a), luminance(b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

@Suite struct ThemeFuzzTests {
    /// Mutated theme files either load or fail with a located message; none crash.
    @Test func mutatedThemesNeverCrash() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let original = Array(try String(contentsOf: root.appendingPathComponent("Themes/solarized-dark.yaml"), encoding: .utf8).utf8)
        var mutator = TextMutator(seed: 99, inserts: [":", "- ", "{", "}", "[", "\t", "\n  ", "#", "\"", "'", "&x ", "*x", "999", "#zzzzzz", "\u{1B}"])
        for iteration in 0..<1500 {
            if iteration % 25 == 0 { await Task.yield() }
            let text = mutator.mutate(original)
            do {
                let theme = try ThemeLoader.parse(yaml: text, file: "fuzz.yaml")
                _ = ResolvedTheme(theme, colors: 256)
            } catch {
                #expect("\(error)".hasPrefix("fuzz.yaml"), "\(error)")
            }
        }
    }
}
