/// A JSON value with ordered object keys, so the output contract reads the same every time and a
/// missing value is written as `null` rather than left out.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// Already serialized, for the nesting depth it is written at (see `serializedFragment`): a big
    /// report's clusters are serialized side by side, then spliced in.
    case fragment(JSONFragment)

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.serialized() == rhs.serialized() }

    public static func optional(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
    public static func optional(_ value: Int64?) -> JSONValue { value.map { .int($0) } ?? .null }
    public static func optional(_ value: Int?) -> JSONValue { value.map { .int(Int64($0)) } ?? .null }
    public static func optional(_ value: UInt64?) -> JSONValue { value.map { .uint($0) } ?? .null }
    public static func optional(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }
    public static func optional(_ value: Bool?) -> JSONValue { value.map { .bool($0) } ?? .null }

    public func serialized(pretty: Bool = false) -> String { serialized(pretty: pretty, ending: "") }

    /// The document followed by `ending` (a report's newline), made as one string: appending to a
    /// 35 MB report afterwards copied all of it again.
    func serialized(pretty: Bool, ending: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(4096)
        write(into: &output, pretty: pretty, indent: 0)
        output.append(contentsOf: ending.utf8)
        return String(decoding: output, as: UTF8.self)
    }

    /// This value serialized for writing at `indent` levels of nesting.
    public func serializedFragment(pretty: Bool, indent: Int) -> JSONFragment {
        var output: [UInt8] = []
        write(into: &output, pretty: pretty, indent: indent)
        return JSONFragment(bytes: output, pretty: pretty, indent: indent)
    }

    /// Bytes, not String appends: the report of a 250-server mesh is 600,000 values and 15 MB.
    private func write(into output: inout [UInt8], pretty: Bool, indent: Int) {
        func newline(_ depth: Int) {
            guard pretty else { return }
            output.append(0x0A)
            output.append(contentsOf: repeatElement(0x20, count: 2 * depth))
        }
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value):
            if value < 0 { output.append(0x2D) }
            Self.writeDigits(value.magnitude, into: &output)
        case .uint(let value): Self.writeDigits(value, into: &output)
        case .double(let value):
            if !value.isFinite {
                output.append(contentsOf: "null".utf8)
            } else if value == value.rounded(), abs(value) < 1e15 {
                if value < 0 { output.append(0x2D) }
                Self.writeDigits(UInt64(abs(value)), into: &output)
            } else {
                // Three decimals is plenty for rates and milliseconds and keeps output stable.
                var text = String((value * 1000).rounded() / 1000)
                if text.hasSuffix(".0") { text.removeLast(2) }
                output.append(contentsOf: text.utf8)
            }
        case .string(let value): Self.writeString(value, into: &output)
        case .fragment(let fragment):
            precondition(fragment.pretty == pretty && fragment.indent == indent, "a JSON fragment written at another depth")
            output.append(contentsOf: fragment.bytes)
        case .array(let values):
            if values.isEmpty { output.append(contentsOf: "[]".utf8); return }
            output.append(0x5B)
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(0x2C) }
                newline(indent + 1)
                value.write(into: &output, pretty: pretty, indent: indent + 1)
            }
            newline(indent)
            output.append(0x5D)
        case .object(let members):
            if members.isEmpty { output.append(contentsOf: "{}".utf8); return }
            output.append(0x7B)
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { output.append(0x2C) }
                newline(indent + 1)
                Self.writeString(key, into: &output)
                output.append(0x3A)
                if pretty { output.append(0x20) }
                value.write(into: &output, pretty: pretty, indent: indent + 1)
            }
            newline(indent)
            output.append(0x7D)
        }
    }

    /// Decimal digits straight into the buffer (no String per number: a big report has 400,000 of them).
    static func writeDigits(_ value: UInt64, into output: inout [UInt8]) {
        guard value >= 10 else { output.append(0x30 + UInt8(value)); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { scratch in
            var rest = value
            var start = 20
            while rest > 0 {
                start -= 1
                scratch[start] = 0x30 + UInt8(rest % 10)
                rest /= 10
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[start...]))
        }
    }

    /// Escapes quotes, backslashes and every control character (C0, DEL, C1, bidi overrides) as \uXXXX,
    /// so the JSON is valid and nothing in it acts on a terminal when printed.
    static func writeString(_ value: String, into output: inout [UInt8]) {
        output.append(0x22)
        // Most strings (names, ids, URLs) are plain printable ASCII: copied as they are, their bytes
        // read as one buffer (walking the UTF-8 view byte by byte cost more than the copy).
        var value = value
        let copied = value.withUTF8 { utf8 in
            guard utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) else { return false }
            output.append(contentsOf: utf8)
            return true
        }
        if copied {
            output.append(0x22)
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output.append(contentsOf: "\\\"".utf8)
            case "\\": output.append(contentsOf: "\\\\".utf8)
            case "\n": output.append(contentsOf: "\\n".utf8)
            case "\r": output.append(contentsOf: "\\r".utf8)
            case "\t": output.append(contentsOf: "\\t".utf8)
            default:
                if TerminalSafe.isDangerous(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    output.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                } else {
                    output.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        output.append(0x22)
    }
}

/// Serialized JSON made for one place in a document (its layout and depth).
public struct JSONFragment: Sendable {
    let bytes: [UInt8]
    let pretty: Bool
    let indent: Int
}
