import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately simple HTTP/1.1 server on 127.0.0.1 for poller tests: it can answer, hang, stream
/// endless bodies or close mid-response, which no well-behaved server library would do on request.
public final class LoopbackHTTPServer: @unchecked Sendable {
    // @unchecked: mutable state (`bytesSent`, `stopped`, `clients`) is guarded by `lock`.
    public enum Behaviour: Sendable {
        case respond(status: Int, body: [UInt8])
        /// Accept, read the request, never answer.
        case hang
        /// Stream `bytes` spaces in 64 KiB pieces until done or the client gives up, announced with
        /// Content-Length, or `chunked` (`Transfer-Encoding: chunked`, a chunk a piece) so that only the
        /// bytes as they arrive can tell the client the body is too big.
        case hugeBody(bytes: Int, chunked: Bool = false)
        /// Answer after a delay.
        case delayed(seconds: Double, status: Int, body: [UInt8])
        /// Announce `body.count` bytes, then send one byte every `interval` seconds.
        case drip(body: [UInt8], interval: Double)
        /// A redirect to `location`.
        case redirect(location: String)
        /// Announce the full length, send `sent` bytes of `body`, then reset the connection (RST).
        case resetMidBody(body: [UInt8], sent: Int)
        /// Exactly these bytes, then close: for malformed HTTP.
        case raw([UInt8])
        /// `body` with no Content-Length, as `Transfer-Encoding: chunked` in chunks of `chunkSize` bytes
        /// (as a Go server such as nats-server sends any body larger than its write buffer).
        case chunked(body: [UInt8], chunkSize: Int)
    }

    public let port: Int
    private let listener: Int32
    private let handler: @Sendable (String) -> Behaviour
    private let lock = NSLock()
    private var stopped = false
    private var clients: [Int32] = []
    private var sent = 0
    private var requests: [String] = []
    private var heads: [String] = []
    private var accepted = 0

    /// Bytes written as soon as a connection is accepted, before any request (what a plain HTTP server
    /// answering garbage, or an SSH daemon, looks like to a TLS client).
    private let greeting: [UInt8]?

    public init(greeting: [UInt8]? = nil, handler: @escaping @Sendable (_ path: String) -> Behaviour) throws {
        self.greeting = greeting
        signal(SIGPIPE, SIG_IGN)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket failed") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw ServerError("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = fd
        self.handler = handler
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// Body bytes written to clients so far.
    public var bytesSent: Int { lock.withLock { sent } }

    /// Request paths received so far.
    public var requestPaths: [String] { lock.withLock { requests } }

    /// TCP connections accepted so far.
    public var connectionsAccepted: Int { lock.withLock { accepted } }

    /// Request heads (request line and headers) received so far.
    public var requestHeads: [String] { lock.withLock { heads } }

    public func stop() {
        // Under the lock, so no descriptor is closed (and its number reused) while we shut them down.
        lock.withLock {
            stopped = true
            for client in clients { shutdown(client, Int32(SHUT_RDWR)) }
            clients = []
        }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func acceptLoop() {
        while !isStopped {
            let client = accept(listener, nil, nil)
            if client < 0 { if isStopped { return } else { continue } }
            lock.withLock { clients.append(client); accepted += 1 }
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
    }

    private func serve(_ client: Int32) {
        // Forget the descriptor before closing it: `stop` must never shut down a number the process
        // has meanwhile reused for another server's connection.
        defer {
            lock.withLock {
                clients.removeAll { $0 == client }
                close(client)
            }
        }
        if let greeting {
            _ = write(client, greeting)
            return
        }
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !isStopped {
            // Read one request head.
            while pending.firstRange(of: Array("\r\n\r\n".utf8)) == nil {
                let count = recv(client, &buffer, buffer.count, 0)
                if count <= 0 { return }
                pending.append(contentsOf: buffer[0..<count])
            }
            let end = pending.firstRange(of: Array("\r\n\r\n".utf8))!
            let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
            pending.removeSubrange(..<end.upperBound)
            let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            lock.withLock { requests.append(path); heads.append(head) }
            switch handler(path) {
            case .respond(let status, let body):
                guard write(client, header(status: status, length: body.count) + body) else { return }
            case .delayed(let seconds, let status, let body):
                Thread.sleep(forTimeInterval: seconds)
                guard write(client, header(status: status, length: body.count) + body) else { return }
            case .hang:
                while !isStopped {
                    let count = recv(client, &buffer, buffer.count, 0)
                    if count <= 0 { return }
                }
                return
            case .drip(let body, let interval):
                guard write(client, header(status: 200, length: body.count)) else { return }
                for byte in body {
                    if isStopped { return }
                    Thread.sleep(forTimeInterval: interval)
                    guard write(client, [byte], countsAsBody: true) else { return }
                }
            case .redirect(let location):
                let response = "HTTP/1.1 302 Found\r\nLocation: \(location)\r\nContent-Length: 0\r\n\r\n"
                guard write(client, Array(response.utf8)) else { return }
            case .resetMidBody(let body, let sent):
                _ = write(client, header(status: 200, length: body.count) + Array(body.prefix(sent)))
                var linger = linger(l_onoff: 1, l_linger: 0)
                setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
                return
            case .raw(let bytes):
                _ = write(client, bytes)
                return
            case .chunked(let body, let chunkSize):
                let head = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                guard write(client, head) else { return }
                var start = 0
                while start < body.count {
                    let end = min(body.count, start + max(1, chunkSize))
                    guard write(client, Array("\(String(end - start, radix: 16))\r\n".utf8) + body[start..<end] + Array("\r\n".utf8)) else { return }
                    start = end
                }
                guard write(client, Array("0\r\n\r\n".utf8)) else { return }
            case .hugeBody(let bytes, let chunked):
                let head = chunked
                    ? Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                    : header(status: 200, length: bytes)
                guard write(client, head) else { return }
                let piece = [UInt8](repeating: UInt8(ascii: " "), count: 65536)
                var remaining = bytes
                while remaining > 0, !isStopped {
                    let size = min(remaining, piece.count)
                    let body = chunked
                        ? Array("\(String(size, radix: 16))\r\n".utf8) + piece[0..<size] + Array("\r\n".utf8)
                        : Array(piece[0..<size])
                    guard write(client, body, countsAsBody: true) else { return }
                    remaining -= size
                }
                if chunked { guard write(client, Array("0\r\n\r\n".utf8)) else { return } }
            }
        }
    }

    private func header(status: Int, length: Int) -> [UInt8] {
        Array("HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(length)\r\n\r\n".utf8)
    }

    private func write(_ client: Int32, _ bytes: [UInt8], countsAsBody: Bool = false) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return false }
            offset += written
            if countsAsBody { lock.withLock { sent += written } }
        }
        return true
    }

    struct ServerError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

extension LoopbackHTTPServer {
    /// A server answering with a recorded server's documents (`Fixtures.recordedDocuments`), after
    /// `delay` seconds; 404 for any other path.
    public static func recorded(_ name: String = "e1", delay: Double = 0) throws -> LoopbackHTTPServer {
        let documents = try Fixtures.recordedDocuments(name)
        return try LoopbackHTTPServer { path in
            guard let body = documents[path] else { return .respond(status: 404, body: Array("not found".utf8)) }
            return delay > 0 ? .delayed(seconds: delay, status: 200, body: body) : .respond(status: 200, body: body)
        }
    }
}
