/// Every string a server sends is untrusted: a server name may hold escape sequences that move the
/// cursor, retitle the window or recolour the terminal. These are made visible, never interpreted.
public enum TerminalSafe {
    /// Replaces C0/C1 control characters, DEL and bidirectional overrides with a visible `\u{..}` form,
    /// and shortens the result to `maxLength` characters.
    public static func text(_ raw: String, maxLength: Int = 80) -> String {
        // Nearly every name, address and message is short printable ASCII: returned as it is, without
        // being rebuilt scalar by scalar (a text report of 25,000 connections asks 50,000 times).
        if raw.utf8.count <= maxLength, raw.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return raw }
        var result = ""
        var count = 0
        for scalar in raw.unicodeScalars {
            let piece: String
            if isDangerous(scalar) {
                piece = "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                piece = String(scalar)
            }
            if count + piece.unicodeScalars.count > maxLength {
                result += "…"
                return result
            }
            result += piece
            count += piece.unicodeScalars.count
        }
        return result
    }

    static func isDangerous(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        // Bidi embeddings/overrides/isolates can reorder what is displayed.
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        // Line and paragraph separators break one-row-per-item layouts.
        case 0x2028, 0x2029: true
        default: false
        }
    }
}
