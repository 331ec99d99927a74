/// A JSON value with ordered object keys, so the output contract reads the same every time and a
/// missing value is written as `null` rather than left out.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.serialized() == rhs.serialized() }

    public static func optional(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
    public static func optional(_ value: Int64?) -> JSONValue { value.map { .int($0) } ?? .null }
    public static func optional(_ value: Int?) -> JSONValue { value.map { .int(Int64($0)) } ?? .null }
    public static func optional(_ value: UInt64?) -> JSONValue { value.map { .uint($0) } ?? .null }
    public static func optional(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }
    public static func optional(_ value: Bool?) -> JSONValue { value.map { .bool($0) } ?? .null }

    public func serialized(pretty: Bool = false) -> String {
        var output = ""
        write(into: &output, pretty: pretty, indent: 0)
        return output
    }

    private func write(into output: inout String, pretty: Bool, indent: Int) {
        let newline = pretty ? "\n" : ""
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let closingPad = pretty ? String(repeating: "  ", count: indent) : ""
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .uint(let value): output += String(value)
        case .double(let value):
            if !value.isFinite {
                output += "null"
            } else if value == value.rounded(), abs(value) < 1e15 {
                output += String(Int64(value))
            } else {
                // Three decimals is plenty for rates and milliseconds and keeps output stable.
                var text = String((value * 1000).rounded() / 1000)
                if text.hasSuffix(".0") { text.removeLast(2) }
                output += text
            }
        case .string(let value): Self.writeString(value, into: &output)
        case .array(let values):
            if values.isEmpty { output += "[]"; return }
            output += "[" + newline
            for (index, value) in values.enumerated() {
                output += pad
                value.write(into: &output, pretty: pretty, indent: indent + 1)
                output += (index < values.count - 1 ? "," : "") + newline
            }
            output += closingPad + "]"
        case .object(let members):
            if members.isEmpty { output += "{}"; return }
            output += "{" + newline
            for (index, (key, value)) in members.enumerated() {
                output += pad
                Self.writeString(key, into: &output)
                output += pretty ? ": " : ":"
                value.write(into: &output, pretty: pretty, indent: indent + 1)
                output += (index < members.count - 1 ? "," : "") + newline
            }
            output += closingPad + "}"
        }
    }

    /// Escapes quotes, backslashes and every control character (C0, DEL, C1, bidi overrides) as \uXXXX,
    /// so the JSON is valid and nothing in it acts on a terminal when printed.
    static func writeString(_ value: String, into output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default:
                if TerminalSafe.isDangerous(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}
