import Foundation
import Yams

/// A theme problem, located where possible: `FILE:LINE: what was wrong and what was expected`.
public struct ThemeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The theme file, or nil for a problem with a theme name rather than a file.
    public let file: String?
    public let line: Int?
    public let message: String

    public init(file: String?, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        switch (file, line) {
        case (let file?, let line?): "\(file):\(line): \(message)"
        case (let file?, nil): "\(file): \(message)"
        case (nil, _): message
        }
    }
}

/// Reads theme files (k9s-skin style YAML: a partial theme overlays a base, unknown keys are errors) and
/// finds themes by name in a list of directories.
///
/// ```yaml
/// name: solarized-dark          # optional; defaults to the file name without .yaml
/// description: ...              # optional free text
/// roles:
///   selection: { fg: "#002b36", bg: "#93a1a1", bold: true }
///   critical:  { fg: bright-red, bold: true }
/// ```
///
/// Role keys are the raw values of `StyleRole`. Per role: `fg`, `bg` (a colour) and `bold`, `dim`,
/// `underline`, `reverse` (true or false); whatever a role leaves out keeps the base theme's value for
/// that role. Colours: `default` (the terminal's own), an ANSI name from `ThemeColor.ansiNames`,
/// 0–255 (the xterm palette) or `"#rrggbb"` / `"#rgb"` (quoted: an unquoted `#` starts a YAML comment).
public enum ThemeLoader {
    /// Names that resolve without any file: the built-in default and the attributes-only theme.
    public static let builtInNames = ["default", "mono"]

    static let topLevelKeys: Set<String> = ["name", "description", "roles"]
    static let styleKeys: Set<String> = ["fg", "bg", "bold", "dim", "underline", "reverse"]
    static let expectedColour = "expected default, an ANSI name (black … bright-white), 0-255 or #rrggbb"

    // MARK: Parsing

    /// Parses theme text; `file` names the source in error messages and, without a `name:` key, gives
    /// the theme its name (the file name without `.yaml`).
    public static func parse(yaml text: String, file: String, base: Theme = .builtInDefault) throws -> Theme {
        try parseDefinition(yaml: text, file: file, base: base).theme
    }

    /// Like `parse`, also returning the file's free-text `description:` (for a theme list).
    public static func parseDefinition(
        yaml text: String, file: String, base: Theme = .builtInDefault
    ) throws -> ThemeDefinition {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw yamlError(error, file: file)
        } catch {
            throw ThemeError(file: file, line: nil, message: "not valid YAML: \(error)")
        }
        let reader = ThemeNodeReader(file: file)
        var name = defaultName(forFile: file)
        var description: String?
        var overrides: [StyleRole: ThemeStyle] = [:]
        guard let root else {  // an empty file changes nothing
            return ThemeDefinition(theme: base.overlaid(with: [:], name: name), description: nil)
        }
        let top = try reader.mapping(root, context: "the top level", expecting: "a mapping (name, description, roles)",
            allowed: topLevelKeys, unknownWord: "key", location: "at the top level")
        for (key, _, value) in top {
            switch key {
            case "name":
                name = try reader.string(value, key: "name")
                if name.trimmingCharacters(in: .whitespaces).isEmpty {
                    throw reader.error(value, "name: must not be empty")
                }
            case "description":
                if let scalar = value.scalar, reader.isNull(scalar) { break }  // `description:` left empty
                description = try reader.string(value, key: "description")
            default:
                let roles = try reader.mapping(value, context: "roles", expecting: "a mapping of role names to styles",
                    allowed: Set(StyleRole.allCases.map(\.rawValue)), unknownWord: "role", location: "in roles")
                for (roleName, _, styleNode) in roles {
                    let role = StyleRole(rawValue: roleName)!  // checked by `allowed`
                    overrides[role] = try reader.style(styleNode, role: roleName, base: base.style(for: role))
                }
            }
        }
        return ThemeDefinition(theme: base.overlaid(with: overrides, name: name), description: description)
    }

    /// Reads and parses a theme file.
    public static func load(path: String, base: Theme = .builtInDefault) throws -> Theme {
        try loadDefinition(path: path, base: base).theme
    }

    public static func loadDefinition(path: String, base: Theme = .builtInDefault) throws -> ThemeDefinition {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ThemeError(file: path, line: nil, message: "is a directory, not a theme file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ThemeError(file: path, line: nil, message: "cannot read the theme file (missing or not readable)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ThemeError(file: path, line: nil, message: "the theme file is not UTF-8 text")
        }
        return try parseDefinition(yaml: text, file: path, base: base)
    }

    // MARK: Discovery

    /// `$XDG_CONFIG_HOME/gwtop/themes`, or `~/.config/gwtop/themes`.
    public static func userThemeDirectory(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/gwtop/themes" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.config/gwtop/themes" }
        return nil
    }

    /// The `*.yaml` files in `directory` (not hidden ones, not subdirectories), as sorted paths; none
    /// when the directory is missing or unreadable.
    public static func themeFiles(in directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return names
            .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix(".") }
            .map { prefix + $0 }
            .filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
            .sorted()
    }

    /// Every name `resolve` accepts: the built-in names and the theme files in `searchDirectories`, sorted.
    public static func availableNames(searchDirectories: [String]) -> [String] {
        var names = Set(builtInNames)
        for directory in searchDirectories {
            for path in themeFiles(in: directory) { names.insert(defaultName(forFile: path)) }
        }
        return names.sorted()
    }

    /// A value containing `/` or ending in `.yaml` is a path to load; anything else is a name, looked up
    /// as `<dir>/<name>.yaml` in each search directory in order. Without such a file, `default` is
    /// `Theme.builtInDefault` and `mono` is `Theme.monochrome`; any other name is an error listing the
    /// names available.
    public static func resolve(nameOrPath: String, searchDirectories: [String]) throws -> Theme {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") {
            return try load(path: nameOrPath)
        }
        if !nameOrPath.isEmpty {
            for directory in searchDirectories {
                let path = (directory.hasSuffix("/") ? directory : directory + "/") + nameOrPath + ".yaml"
                if FileManager.default.fileExists(atPath: path) { return try load(path: path) }
            }
        }
        switch nameOrPath {
        case "default": return .builtInDefault
        case "mono": return .monochrome
        default:
            let searched = searchDirectories.isEmpty
                ? "no theme directories to search"
                : "a name is looked up as NAME.yaml in: " + searchDirectories.joined(separator: ", ")
            throw ThemeError(file: nil, line: nil, message:
                "unknown theme \"\(nameOrPath)\"; expected one of: "
                    + availableNames(searchDirectories: searchDirectories).joined(separator: ", ") + " (\(searched))")
        }
    }

    // MARK: Helpers

    /// `themes/solarized-dark.yaml` → `solarized-dark`.
    static func defaultName(forFile file: String) -> String {
        var name = file.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? file
        for suffix in [".yaml", ".yml"] where name.hasSuffix(suffix) && name.count > suffix.count {
            name.removeLast(suffix.count)
            break
        }
        return name
    }

    /// `default`, an ANSI name, 0–255, `#rrggbb` or `#rgb`; nil for anything else.
    static func parseColor(_ text: String) -> ThemeColor? {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if value == "default" { return .default }
        if let index = ThemeColor.ansiNames.firstIndex(of: value) { return .ansi(index) }
        if !value.isEmpty, value.count <= 3, value.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let index = Int(value), (0...255).contains(index) else { return nil }
            return .indexed(index)
        }
        if value.hasPrefix("#") {
            let digits = Array(value.dropFirst())
            guard digits.allSatisfy({ $0.isHexDigit && $0.isASCII }) else { return nil }
            let pairs: [String]
            switch digits.count {
            case 6: pairs = [String(digits[0...1]), String(digits[2...3]), String(digits[4...5])]
            case 3: pairs = digits.map { String([$0, $0]) }
            default: return nil
            }
            guard let r = UInt8(pairs[0], radix: 16), let g = UInt8(pairs[1], radix: 16),
                let b = UInt8(pairs[2], radix: 16)
            else { return nil }
            return .rgb(r, g, b)
        }
        return nil
    }

    static func yamlError(_ error: YamlError, file: String) -> ThemeError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return ThemeError(file: file, line: mark.line, message: "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return ThemeError(file: file, line: context.mark.line > 0 ? context.mark.line : nil,
                message: "duplicated key\(duplicates.count == 1 ? "" : "s") \(keys) in one mapping")
        default:
            return ThemeError(file: file, line: nil, message: "not valid YAML: \(error)")
        }
    }
}

/// A parsed theme file: the theme and the file's free-text description.
public struct ThemeDefinition: Sendable, Equatable {
    public var theme: Theme
    public var description: String?

    public init(theme: Theme, description: String?) {
        self.theme = theme
        self.description = description
    }
}

/// Walks a theme's YAML tree with strict keys and types, turning every mismatch into a located error.
private struct ThemeNodeReader {
    let file: String

    func error(_ node: Node, _ message: String) -> ThemeError {
        ThemeError(file: file, line: node.mark?.line, message: message)
    }

    /// The pairs of a mapping in file order, keys checked against `allowed`:
    /// `unknown <unknownWord> "x" <location>; expected one of: ...`.
    func mapping(
        _ node: Node, context: String, expecting: String, allowed: Set<String>, unknownWord: String, location: String
    ) throws -> [(key: String, keyNode: Node, value: Node)] {
        guard let mapping = node.mapping else {
            throw error(node, "\(context): expected \(expecting), found \(kind(of: node))")
        }
        var pairs: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                throw error(keyNode, "\(context): keys must be plain names, found \(kind(of: keyNode))")
            }
            guard allowed.contains(key) else {
                throw error(keyNode,
                    "unknown \(unknownWord) \"\(key)\" \(location); expected one of: \(allowed.sorted().joined(separator: ", "))")
            }
            pairs.append((key, keyNode, value))
        }
        return pairs
    }

    func string(_ node: Node, key: String) throws -> String {
        guard let scalar = node.scalar, !isNull(scalar) else {
            throw error(node, "\(key): expected a string, found \(kind(of: node))")
        }
        return scalar.string
    }

    func style(_ node: Node, role: String, base: ThemeStyle) throws -> ThemeStyle {
        let context = "roles.\(role)"
        var style = base
        let fields = try mapping(node, context: context, expecting: "a mapping such as { fg: red, bold: true }",
            allowed: ThemeLoader.styleKeys, unknownWord: "key", location: "in \(context)")
        for (key, _, value) in fields {
            let path = "\(context).\(key)"
            switch key {
            case "fg": style.foreground = try color(value, key: path)
            case "bg": style.background = try color(value, key: path)
            case "bold": style.bold = try bool(value, key: path)
            case "dim": style.dim = try bool(value, key: path)
            case "underline": style.underline = try bool(value, key: path)
            default: style.reverse = try bool(value, key: path)
            }
        }
        return style
    }

    func color(_ node: Node, key: String) throws -> ThemeColor {
        guard let scalar = node.scalar else {
            throw error(node, "bad colour for \(key): found \(kind(of: node)); \(ThemeLoader.expectedColour)")
        }
        if isNull(scalar) {
            throw error(node,
                "no colour given for \(key); \(ThemeLoader.expectedColour) (quote hex colours: \"#rrggbb\", "
                    + "since an unquoted # starts a YAML comment)")
        }
        guard let color = ThemeLoader.parseColor(scalar.string) else {
            throw error(node, "bad colour \"\(scalar.string)\" for \(key); \(ThemeLoader.expectedColour)")
        }
        return color
    }

    func bool(_ node: Node, key: String) throws -> Bool {
        guard let scalar = node.scalar else {
            throw error(node, "bad value for \(key): found \(kind(of: node)); expected true or false")
        }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, "bad value \"\(scalar.string)\" for \(key); expected true or false")
        }
    }

    /// An empty plain value (`fg:` or `fg: #abc`, where `#` starts a comment), `~` or `null`.
    func isNull(_ scalar: Node.Scalar) -> Bool {
        scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func kind(of node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if isNull(scalar) { return "nothing" }
            return "\"\(scalar.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}
