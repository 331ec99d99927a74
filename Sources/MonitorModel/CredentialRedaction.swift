public import Foundation

/// Credentials must never be shown, logged or recorded: URLs pass through here first.
public enum CredentialRedaction {
    /// `scheme://user:pass@host/path` → `scheme://***@host/path`; URLs without user-info are unchanged.
    public static func redactUserInfo(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        guard let at = afterScheme[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<schemeEnd.upperBound]) + "***@" + String(afterScheme[afterScheme.index(after: at)...])
    }

    /// Every `scheme://user-info@` inside free text (an error message, a whole /varz body) becomes
    /// `scheme://***@`.
    public static func redactUserInfoInText(_ text: String) -> String {
        let bytes = Data(text.utf8)
        let redacted = redactUserInfo(inBytes: bytes)
        return redacted == bytes ? text : String(decoding: redacted, as: UTF8.self)
    }

    /// Byte-level, so it also works on bodies that are not UTF-8: after each `://`, the user-info is
    /// whatever precedes an `@` before the authority ends (at `/ ? # "`, a quote, whitespace or a control).
    public static func redactUserInfo(inBytes data: Data) -> Data {
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else { return data }
        var output: [UInt8] = []
        var copiedUpTo = 0
        var index = 0
        while index + 3 <= bytes.count {
            guard bytes[index] == 0x3A, bytes[index + 1] == 0x2F, bytes[index + 2] == 0x2F else { index += 1; continue }
            let authorityStart = index + 3
            var end = authorityStart
            var lastAt: Int?
            while end < bytes.count {
                let byte = bytes[end]
                if byte == 0x2F || byte == 0x3F || byte == 0x23 || byte == 0x22 || byte == 0x27 || byte <= 0x20 || byte == 0x7F {
                    break
                }
                if byte == 0x40 { lastAt = end }
                end += 1
            }
            if let at = lastAt, !(at == authorityStart + 3 && bytes[authorityStart ..< at] == [0x2A, 0x2A, 0x2A][...]) {
                output.append(contentsOf: bytes[copiedUpTo ..< authorityStart])
                output.append(contentsOf: [0x2A, 0x2A, 0x2A])
                copiedUpTo = at
            }
            index = max(end, index + 3)
        }
        guard copiedUpTo > 0 else { return data }
        output.append(contentsOf: bytes[copiedUpTo...])
        return Data(output)
    }
}
