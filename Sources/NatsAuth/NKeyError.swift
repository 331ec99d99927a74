/// An NKey, creds or JWT problem. Messages say what was wrong and never
/// contain seed text, so they are safe to log or show.
public struct NKeyError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
