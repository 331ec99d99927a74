/// gwtop-synthetic's command line, read here (not in the executable) so a test can give it bad arguments.
public struct SyntheticOptions: Sendable {
    public var clusters = 10
    public var servers = 3
    public var port = 18222
    public var urlsFile: String?
    public var natsURL: String?
    /// As given; checked against the mesh's size once every argument is read (`SyntheticMesh.faults`).
    public var cuts: [String] = []
    public var downServers: [String] = []
    public var faultsAfter = 0.0
    /// `-h` / `--help`: the caller prints `usage` and stops.
    public var helpRequested = false

    public static let usage = "usage: gwtop-synthetic --clusters C --servers S --port P [--urls FILE] [--nats URL] "
        + "[--cut CLUSTER:CLUSTER|CLUSTER:*]... [--down SERVER]... [--faults-after SECONDS]"

    public init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ name: String) throws -> String {
            guard let next = rest.popFirst() else { throw UsageError("\(name) needs a value") }
            return next
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--clusters": clusters = try Self.number(value(argument), argument, 2...500)
            case "--servers": servers = try Self.number(value(argument), argument, 1...100)
            case "--port": port = try Self.number(value(argument), argument, 0...65535)
            case "--urls": urlsFile = try value(argument)
            case "--nats": natsURL = try value(argument)
            case "--cut": cuts.append(try value(argument))
            case "--down": downServers.append(try value(argument))
            case "--faults-after":
                let text = try value(argument)
                guard let seconds = Double(text), seconds >= 0, seconds.isFinite else {
                    throw UsageError("--faults-after must be a number of seconds, 0 or more, got \(text)")
                }
                faultsAfter = seconds
            case "-h", "--help":
                // Asked for the usage: nothing after it matters (nor is an error).
                helpRequested = true
                return
            default: throw UsageError("unknown argument \(argument)")
            }
        }
    }

    static func number(_ text: String, _ name: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text), range.contains(value) else { throw UsageError("\(name) must be a number in \(range), got \(text)") }
        return value
    }

    public struct UsageError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
