public import Foundation

/// Credentials must never be shown, logged or recorded: URLs pass through here first.
public enum CredentialRedaction {
    /// `scheme://user:pass@host/path` → `scheme://***@host/path`; URLs without user-info are unchanged.
    public static func redactUserInfo(_ url: String) -> String {
        // Over the bytes: with `range(of:)` and character indices this was a third of the time of a
        // 250-server JSON report, which passes 62,500 configured gateway URLs through here. Bytes are also
        // what URLs are made of: a combining mark after `://` or `@` no longer hides them (as characters,
        // `@` + U+0301 was not an `@`, and the user-info was shown).
        var url = url
        let userInfo: Range<Int>? = url.withUTF8 { bytes in
            guard bytes.count > 3, let separator = (0..<bytes.count - 2).first(where: {
                bytes[$0] == 0x3A && bytes[$0 + 1] == 0x2F && bytes[$0 + 2] == 0x2F
            }) else { return nil }
            let authorityStart = separator + 3
            var lastAt: Int?
            var index = authorityStart
            while index < bytes.count, bytes[index] != 0x2F {
                if bytes[index] == 0x40 { lastAt = index }
                index += 1
            }
            return lastAt.map { authorityStart..<$0 + 1 }
        }
        guard let userInfo else { return url }
        var redacted = Array(url.utf8)
        redacted.replaceSubrange(userInfo, with: "***@".utf8)
        return String(decoding: redacted, as: UTF8.self)
    }

    /// Every `scheme://user-info@` inside free text (an error message, a whole /varz body) becomes
    /// `scheme://***@`.
    public static func redactUserInfoInText(_ text: String) -> String {
        let bytes = Data(text.utf8)
        let redacted = redactUserInfo(inBytes: bytes)
        return redacted == bytes ? text : String(decoding: redacted, as: UTF8.self)
    }

    /// Byte-level, so it also works on bodies that are not UTF-8. Bodies are JSON, so the URL may be
    /// written with JSON escapes: `:\/\/` for `://`, `\"` inside the user-info, `\u0040` for `@`. After
    /// each scheme separator the user-info is whatever precedes the last `@` before the authority ends
    /// (at `/`, `\/`, `?`, `#`, an unescaped quote, whitespace or a control character).
    public static func redactUserInfo(inBytes data: Data) -> Data {
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else { return data }
        var output: [UInt8] = []
        var copiedUpTo = 0
        var index = 0
        func matches(_ pattern: [UInt8], at position: Int) -> Bool {
            position + pattern.count <= bytes.count && bytes[position..<position + pattern.count].elementsEqual(pattern)
        }
        let plainSeparator: [UInt8] = Array("://".utf8)
        let escapedSeparator: [UInt8] = Array(#":\/\/"#.utf8)
        let escapedAt: [UInt8] = Array(#"\u0040"#.utf8)
        while index < bytes.count {
            let separatorLength = matches(plainSeparator, at: index) ? 3 : matches(escapedSeparator, at: index) ? 5 : 0
            guard separatorLength > 0 else { index += 1; continue }
            let authorityStart = index + separatorLength
            var end = authorityStart
            var lastAt: Int?
            scan: while end < bytes.count {
                let byte = bytes[end]
                switch byte {
                case 0x5C:  // backslash: a JSON escape
                    guard end + 1 < bytes.count else { break scan }
                    let next = bytes[end + 1]
                    if next == 0x2F { break scan }  // \/ : the path starts
                    if matches(escapedAt, at: end) {
                        lastAt = end
                        end += 6
                    } else if next == 0x75 {
                        end += 6
                    } else {
                        end += 2
                    }
                case 0x2F, 0x3F, 0x23, 0x22, 0x27: break scan
                case 0x40:
                    lastAt = end
                    end += 1
                default:
                    if byte <= 0x20 || byte == 0x7F { break scan }
                    end += 1
                }
            }
            if let at = lastAt, !(at == authorityStart + 3 && bytes[authorityStart..<at].elementsEqual([0x2A, 0x2A, 0x2A])) {
                output.append(contentsOf: bytes[copiedUpTo..<authorityStart])
                output.append(contentsOf: [0x2A, 0x2A, 0x2A])
                copiedUpTo = at
            }
            index = max(min(end, bytes.count), index + separatorLength)
        }
        guard copiedUpTo > 0 else { return data }
        output.append(contentsOf: bytes[copiedUpTo...])
        return Data(output)
    }
}
