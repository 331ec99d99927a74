/// JSON written straight into bytes as a report is walked: keys in the order they are written (so the
/// output contract reads the same every time), a missing value written as `null` rather than left out.
///
/// A value tree built first and serialized after cost more than the writing: the report of a 250-server
/// mesh is 35 MB, 24,500 connections of 22 members each, and building, walking and freeing their
/// trees, then joining the clusters into one buffer and that into a String, took two thirds of its time.
///
/// Use: `member("key")` or `element()` says where the next value goes, then one value is written
/// (`value(_:)`, `object { }`, `array { }`); the `field` and `elements` helpers do both.
struct JSONWriter {
    /// What was written before the last spliced fragment, in order (see `splice`).
    private var chunks: [[UInt8]] = []
    private var bytes: [UInt8] = []
    let pretty: Bool
    /// Nesting depth of the object or array being written into.
    private(set) var depth: Int
    /// Whether that object or array has no member yet (no comma before the next one; `{}` if it stays so).
    private var isEmpty = true

    init(pretty: Bool, depth: Int = 0, reservingCapacity capacity: Int = 4096) {
        self.pretty = pretty
        self.depth = depth
        bytes.reserveCapacity(capacity)
    }

    /// Everything written, in pieces (the spliced fragments are not copied into one buffer). Nothing is
    /// appended to `bytes` here (the ending is a piece of its own): doing so copied the whole buffer, 700 KB
    /// for each cluster of a 250-server report (`perf`: a memmove and its page faults under this function,
    /// a fifth of the report's samples).
    consuming func finish(ending: String = "") -> [[UInt8]] {
        var pieces = chunks
        pieces.append(bytes)
        if !ending.isEmpty { pieces.append(Array(ending.utf8)) }
        return pieces.filter { !$0.isEmpty }
    }

    /// What was written, as one fragment for splicing at the depth this writer was made for.
    consuming func fragment() -> JSONFragment {
        let depth = self.depth
        let pretty = self.pretty
        return JSONFragment(chunks: finish(), pretty: pretty, depth: depth)
    }

    // MARK: Where the next value goes

    /// The next member of the object being written: its key; one value must follow.
    mutating func member(_ key: StaticString) {
        separate()
        key.withUTF8Buffer { utf8 in
            bytes.append(0x22)
            bytes.append(contentsOf: utf8)
            bytes.append(0x22)
        }
        bytes.append(0x3A)
        if pretty { bytes.append(0x20) }
    }

    /// The next element of the array being written; one value must follow.
    mutating func element() { separate() }

    private mutating func separate() {
        if !isEmpty { bytes.append(0x2C) }
        isEmpty = false
        newline(depth)
    }

    private mutating func newline(_ depth: Int) {
        guard pretty else { return }
        // Copied from a ready line start: appending the spaces as a repeated element went through the
        // generic sequence path, a third of the report's instructions (a 250-server report has 1.3 million
        // lines).
        let count = 1 + 2 * depth
        if count <= Self.lineStart.count {
            Self.lineStart.withUnsafeBufferPointer { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[..<count])) }
        } else {
            bytes.append(0x0A)
            bytes.append(contentsOf: [UInt8](repeating: 0x20, count: 2 * depth))
        }
    }

    /// A newline and the indentation of the deepest lines a report has, and more.
    private static let lineStart: [UInt8] = [0x0A] + [UInt8](repeating: 0x20, count: 64)

    // MARK: Values

    mutating func object(_ body: (inout JSONWriter) -> Void) { nest(open: 0x7B, close: 0x7D, body) }

    mutating func array(_ body: (inout JSONWriter) -> Void) { nest(open: 0x5B, close: 0x5D, body) }

    private mutating func nest(open: UInt8, close: UInt8, _ body: (inout JSONWriter) -> Void) {
        bytes.append(open)
        let outerIsEmpty = isEmpty
        isEmpty = true
        depth += 1
        body(&self)
        depth -= 1
        if !isEmpty { newline(depth) }
        bytes.append(close)
        isEmpty = outerIsEmpty
    }

    /// Serialized elsewhere (a big report's clusters are written side by side) for this very place:
    /// kept as its own piece, not copied in.
    mutating func splice(_ fragment: JSONFragment) {
        precondition(fragment.pretty == pretty && fragment.depth == depth, "a JSON fragment written at another depth")
        chunks.append(bytes)
        chunks.append(contentsOf: fragment.chunks)
        bytes = []
        bytes.reserveCapacity(4096)
    }

    mutating func null() { bytes.append(contentsOf: "null".utf8) }

    mutating func value(_ value: Bool?) {
        guard let value else { return null() }
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func value(_ value: Int64?) {
        guard let value else { return null() }
        if value < 0 { bytes.append(0x2D) }
        writeDigits(value.magnitude)
    }

    mutating func value(_ value: Int?) { self.value(value.map(Int64.init)) }

    mutating func value(_ value: UInt64?) {
        guard let value else { return null() }
        writeDigits(value)
    }

    mutating func value(_ value: Double?) {
        guard let value, value.isFinite else { return null() }
        if abs(value) >= 1e15 {
            // Past the digits a Double holds exactly: scaling it by 1000 and back would change it.
            var text = String(value)
            if text.hasSuffix(".0") { text.removeLast(2) }
            bytes.append(contentsOf: text.utf8)
        } else if value == value.rounded() {
            if value < 0 { bytes.append(0x2D) }
            writeDigits(UInt64(abs(value)))
        } else {
            // Three decimals is plenty for rates and milliseconds and keeps output stable.
            var text = String((value * 1000).rounded() / 1000)
            if text.hasSuffix(".0") { text.removeLast(2) }
            bytes.append(contentsOf: text.utf8)
        }
    }

    mutating func value(_ value: String?) {
        guard let value else { return null() }
        writeString(value)
    }

    // MARK: Both at once

    mutating func field(_ key: StaticString, _ value: String?) { member(key); self.value(value) }
    mutating func field(_ key: StaticString, _ value: Bool?) { member(key); self.value(value) }
    mutating func field(_ key: StaticString, _ value: Int64?) { member(key); self.value(value) }
    mutating func field(_ key: StaticString, _ value: Int?) { member(key); self.value(value) }
    mutating func field(_ key: StaticString, _ value: UInt64?) { member(key); self.value(value) }
    mutating func field(_ key: StaticString, _ value: Double?) { member(key); self.value(value) }

    /// A member whose value is an object.
    mutating func field(_ key: StaticString, object body: (inout JSONWriter) -> Void) { member(key); object(body) }

    /// A member whose value is an array of `items`, each written by `body` as one value.
    mutating func field<Items: Sequence>(_ key: StaticString, elements items: Items, _ body: (inout JSONWriter, Items.Element) -> Void) {
        member(key)
        elements(items, body)
    }

    /// An array of `items`, each written by `body` as one value.
    mutating func elements<Items: Sequence>(_ items: Items, _ body: (inout JSONWriter, Items.Element) -> Void) {
        array { writer in
            for item in items {
                writer.element()
                body(&writer, item)
            }
        }
    }

    // MARK: Bytes

    /// Decimal digits straight into the buffer (no String per number: a big report has 400,000 of them).
    private mutating func writeDigits(_ value: UInt64) {
        guard value >= 10 else { bytes.append(0x30 + UInt8(value)); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { scratch in
            var rest = value
            var start = 20
            while rest > 0 {
                start -= 1
                scratch[start] = 0x30 + UInt8(rest % 10)
                rest /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[start...]))
        }
    }

    /// Escapes quotes, backslashes and every control character (C0, DEL, C1, bidi overrides) as \uXXXX,
    /// so the JSON is valid and nothing in it acts on a terminal when printed.
    private mutating func writeString(_ value: String) {
        bytes.append(0x22)
        // Most strings (names, ids, URLs) are plain printable ASCII: copied as they are, their bytes
        // read as one buffer (walking the UTF-8 view byte by byte cost more than the copy).
        var value = value
        let copied = value.withUTF8 { utf8 in
            guard utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied {
            bytes.append(0x22)
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": bytes.append(contentsOf: "\\\"".utf8)
            case "\\": bytes.append(contentsOf: "\\\\".utf8)
            case "\n": bytes.append(contentsOf: "\\n".utf8)
            case "\r": bytes.append(contentsOf: "\\r".utf8)
            case "\t": bytes.append(contentsOf: "\\t".utf8)
            default:
                if TerminalSafe.isDangerous(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    bytes.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                } else {
                    bytes.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        bytes.append(0x22)
    }
}

/// JSON serialized for one place in a document (its layout and depth), in pieces.
struct JSONFragment: Sendable {
    let chunks: [[UInt8]]
    let pretty: Bool
    let depth: Int
}
