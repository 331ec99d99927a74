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
}
