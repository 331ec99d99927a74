/// Why the client could not do what was asked. Messages name the server and the reason and never
/// carry a password, token or seed.
public struct NatsClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The server refused the credentials (`-ERR 'Authorization Violation'`).
        case authorization
        case connectionRefused
        case timeout
        case tls
        case protocolError
        /// The server closed the connection or it broke.
        case disconnected
        case closed
        case invalidSubject
        case invalidURL
        case credentials
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
