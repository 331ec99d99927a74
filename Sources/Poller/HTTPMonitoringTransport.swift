import AsyncHTTPClient
import Foundation
public import MonitorModel
import NIOCore
import NIOFoundationEssentialsCompat
import NIOHTTP1
import NIOPosix
import NIOSSL
import TLSFiles

/// Fetches one monitoring document. The poller depends on this seam only, so its scheduling can be
/// exercised against any transport; production uses `HTTPMonitoringTransport`.
public protocol MonitoringTransport: Sendable {
    func fetch(_ target: MonitorTarget, _ kind: MonitorEndpointKind) async -> RawResponse
    func shutdown() async
    /// A thread where tasks that call `fetch` hand nothing to another thread, if the transport has one.
    var ownThreadExecutor: (any TaskExecutor)? { get }
}

extension MonitoringTransport {
    public var ownThreadExecutor: (any TaskExecutor)? { nil }
}

/// HTTP(S) over async-http-client: pooled keep-alive connections, a hard per-request deadline that
/// covers the body too, and a cap on the body size checked while streaming.
public final class HTTPMonitoringTransport: MonitoringTransport {
    private let client: HTTPClient
    private let timeout: Double
    private let maxBodyBytes: Int
    private let tlsByTarget: [MonitorTarget: TLSConfiguration]
    /// Every request the targets given at start can be asked, made once: building one (its URL written
    /// out, parsed by Foundation and again by the client, headers, basic auth encoded) each time took 2 % of
    /// the samples of a 200-server poll, the same work for the same request every second.
    private let preparedRequests: [PreparedRequestKey: HTTPClient.Request]

    private struct PreparedRequestKey: Hashable {
        let target: MonitorTarget
        let kind: MonitorEndpointKind
    }
    /// Lives as long as the process, as the shared per-core group does.
    private static let plainHTTPLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private static let plainHTTPExecutor = EventLoopTaskExecutor(plainHTTPLoop.next())
    private let usesPlainHTTPLoop: Bool

    /// For plain HTTP, the event loop's one thread: a task there starts its requests on the loop, and
    /// each response resumes it on the same thread (see `Poller.runsOnTransportThread`). Nil for TLS,
    /// which keeps a thread per core for its handshakes.
    public var ownThreadExecutor: (any TaskExecutor)? { usesPlainHTTPLoop ? Self.plainHTTPExecutor : nil }

    /// - Parameters:
    ///   - timeout: seconds for one request, from connect to the last body byte.
    ///   - maxBodyBytes: a larger body is abandoned as soon as the limit is passed.
    ///   - targets: endpoints whose TLS settings are prepared (files read) now, so errors surface at start.
    public init(timeout: Double, maxBodyBytes: Int = 16 << 20, targets: [MonitorTarget]) throws {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            // No read timeout: each request's deadline covers the whole exchange, body included, and the
            // client re-arms a read timer on every body part it reads (a cancelled and a newly scheduled
            // task each time, hundreds a second at 250 servers).
            timeout: .init(connect: .milliseconds(Int64(timeout * 1000))),
            connectionPool: .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: 4),
            decompression: .disabled)
        configuration.httpVersion = .http1Only
        // A refused connection is news for this cycle: report it now rather than retry until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        // No tracing: gwtop bootstraps no tracer, and the default no-op one still had each request's
        // span attributes (URL, port, …) worked out, 1.7 % of a --once at 250 servers.
        configuration.tracing.tracer = nil
        // Plain HTTP runs on one event-loop thread: a poll's network work is small, and spreading it over
        // a thread per core cost 7 % more CPU a poll at 250 servers (wake-ups between threads; measured
        // with the builds alternated). TLS keeps a thread per core, so a first poll's handshakes (real
        // CPU work each) are shared out.
        usesPlainHTTPLoop = !targets.contains { $0.scheme == "https" }
        let group: any EventLoopGroup = usesPlainHTTPLoop ? Self.plainHTTPLoop : MultiThreadedEventLoopGroup.singleton
        self.client = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        var tls: [MonitorTarget: TLSConfiguration] = [:]
        do {
            for target in targets where target.scheme == "https" && !target.tls.isDefault {
                tls[target] = try Self.tlsConfiguration(target.tls)
            }
        } catch {
            try? client.syncShutdown()
            throw error
        }
        self.tlsByTarget = tls
        var prepared: [PreparedRequestKey: HTTPClient.Request] = [:]
        for target in targets {
            for kind in MonitorEndpointKind.allCases {
                // One that cannot be made is made (and fails, with its message) when it is asked.
                if let request = try? Self.request(target, kind, tls: tls[target]) {
                    prepared[PreparedRequestKey(target: target, kind: kind)] = request
                }
            }
        }
        self.preparedRequests = prepared
    }

    static func request(_ target: MonitorTarget, _ kind: MonitorEndpointKind, tls: TLSConfiguration?) throws -> HTTPClient.Request {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "gwtop")
        if let auth = target.auth {
            let token = Data("\(auth.username):\(auth.password)".utf8).base64EncodedString()
            headers.add(name: "Authorization", value: "Basic \(token)")
        }
        guard let url = URL(string: target.requestURL(for: kind)) else { throw HTTPClientError.invalidURL }
        return try HTTPClient.Request(url: url, method: .GET, headers: headers, tlsConfiguration: tls)
    }

    static func tlsConfiguration(_ settings: EndpointTLS) throws -> TLSConfiguration {
        var configuration = try ClientTLSFiles.configuration(
            caFile: settings.caFile, certificateFile: settings.certificateFile, keyFile: settings.keyFile)
        if settings.insecure { configuration.certificateVerification = .none }
        return configuration
    }

    public func fetch(_ target: MonitorTarget, _ kind: MonitorEndpointKind) async -> RawResponse {
        let started = ContinuousClock.now
        func elapsed() -> Double { (ContinuousClock.now - started).inSeconds }
        let maxBodyBytes = min(self.maxBodyBytes, kind.maximumBodyBytes)
        do {
            let request = try preparedRequests[PreparedRequestKey(target: target, kind: kind)]
                ?? Self.request(target, kind, tls: tlsByTarget[target])
            // The body is gathered on the event loop (a response delegate), not handed over chunk by chunk
            // through an async sequence: at 250 servers a poll is 250 to 1,000 responses and 15 to 27 MB.
            // The deadline covers the whole exchange, body included, so a server that accepts and never
            // answers, or drips its body, costs at most `timeout`.
            let task = client.execute(
                request: request, delegate: ResponseAccumulator(request: request, maxBodySize: maxBodyBytes),
                deadline: .now() + .milliseconds(Int64(timeout * 1000)))
            let response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            let body = response.body.map(Self.data(of:)) ?? Data()
            return RawResponse(kind: kind, statusCode: Int(response.status.code), body: body, elapsed: elapsed())
        } catch {
            return RawResponse(
                kind: kind, statusCode: nil, body: Data(), failure: Self.classify(error, timeout: timeout, maxBodyBytes: maxBodyBytes),
                elapsed: elapsed())
        }
    }

    /// A body's bytes as `Data`. Usually the buffer's own storage, kept alive by the `Data` rather than
    /// copied: a poll of 250 servers is 15 MB, each copied once more (and allocated twice) for nothing.
    /// Copied when the bytes are a small part of a larger storage (a short body read in one go is a slice
    /// of the connection's read buffer): holding on to it would hold the whole buffer.
    static func data(of buffer: ByteBuffer) -> Data {
        let shared = buffer.readableBytes >= 4096 && buffer.storageCapacity <= 2 * buffer.readableBytes
        // `Data(buffer.readableBytesView)` went byte by byte through the generic sequence initialiser.
        return Data(buffer: buffer, byteTransferStrategy: shared ? .noCopy : .copy)
    }

    /// Turns client errors into a reason and a sentence naming what happened.
    static func classify(_ error: any Error, timeout: Double, maxBodyBytes: Int) -> EndpointFailure {
        let timeoutText = "timed out after \(Self.seconds(timeout))"
        if error is ResponseAccumulator.ResponseTooBigError {
            let limit = maxBodyBytes >= 1 << 20 ? "\(maxBodyBytes >> 20) MiB" : "\(maxBodyBytes >> 10) KiB"
            return EndpointFailure(.tooLarge, "response body larger than \(limit), abandoned")
        }
        if let httpError = error as? HTTPClientError {
            switch httpError {
            case .connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded, .getConnectionFromPoolTimeout:
                return EndpointFailure(.timeout, timeoutText)
            case .tlsHandshakeTimeout:
                return EndpointFailure(.tls, "TLS handshake timed out")
            case .remoteConnectionClosed:
                return EndpointFailure(.network, "connection closed by the server before the response was complete")
            case .cancelled:
                return EndpointFailure(.timeout, timeoutText)
            default:
                return EndpointFailure(.network, "HTTP client error: \(httpError)")
            }
        }
        if let sslError = error as? NIOSSLError {
            if case .handshakeFailed(let inner) = sslError {
                return EndpointFailure(.tls, "TLS handshake failed (\(inner)); is it an https endpoint?")
            }
            return EndpointFailure(.tls, "TLS failure: \(sslError)")
        }
        if error is BoringSSLError || String(describing: type(of: error)).contains("SSL") {
            return EndpointFailure(.tls, "TLS failure: \(error)")
        }
        if String(describing: type(of: error)).contains("HTTPParserError") {
            return EndpointFailure(.network, "the answer is not HTTP (\(error)); is this the monitoring port?")
        }
        if error is CancellationError { return EndpointFailure(.timeout, timeoutText) }
        if let ioError = error as? IOError {
            switch ioError.errnoCode {
            case ECONNREFUSED: return EndpointFailure(.refused, "connection refused")
            case ECONNRESET: return EndpointFailure(.network, "connection reset by the server")
            case EHOSTUNREACH, ENETUNREACH: return EndpointFailure(.network, "host unreachable")
            default: return EndpointFailure(.network, "network error: \(ioError.description)")
            }
        }
        let text = String(describing: error)
        if text.contains("refused") || text.contains("ECONNREFUSED") || text.contains("errno: 111") {
            return EndpointFailure(.refused, "connection refused")
        }
        if text.contains("reset") || text.contains("ECONNRESET") {
            return EndpointFailure(.network, "connection reset")
        }
        if text.contains("NXDOMAIN") || text.contains("resolve") || text.contains("Name or service") {
            return EndpointFailure(.network, "host name not resolved: \(text)")
        }
        return EndpointFailure(.network, text)
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(Int((value * 1000).rounded()))ms"
    }

    public func shutdown() async {
        try? await client.shutdown()
    }
}

/// A task executor that runs each job on one NIO event loop's thread (NIO offers an event loop as a
/// serial executor for actors, not as a task executor).
final class EventLoopTaskExecutor: TaskExecutor {
    private let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // Unowned: the executors are statics that live as long as the process.
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
