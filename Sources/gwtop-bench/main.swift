import Foundation
import MonitorModel
import OutputFormat
import Recording
import TerminalUI
import Topology

// gwtop-bench: times gwtop's pure pipeline in process on a recording (made with
// `gwtop --headless --record`), so decode, model, diagnosis and render are measured on real bytes
// without the network:
//
//   gwtop-bench FILE [--repeat N]
//
// Prints medians over N repetitions (default 15) of: decoding every endpoint's documents of one poll
// (and the throughput), building the model, diagnosing it, the events against the previous poll, the
// dashboard update, and rendering a full 120×40 frame offscreen.

struct BenchError: Error, CustomStringConvertible {
    let description: String
}


func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

func measure(_ repeats: Int, _ body: () -> Void) -> Double {
    var samples: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<repeats { samples.append(clock.measure(body).inSeconds) }
    return median(samples)
}

func milliseconds(_ value: Double) -> String { String(format: "%.2f ms", value * 1000) }

var arguments = Array(CommandLine.arguments.dropFirst())
var repeats = 15
if let index = arguments.firstIndex(of: "--repeat"), index + 1 < arguments.count, let value = Int(arguments[index + 1]) {
    repeats = max(1, value)
    arguments.removeSubrange(index...index + 1)
}
guard let path = arguments.first else {
    FileHandle.standardError.write(Data("usage: gwtop-bench RECORDING [--repeat N]\n".utf8))
    exit(2)
}
do {
    let recording = try Recording(path: path)
    guard recording.count >= 2 else { throw BenchError(description: "\(path) needs at least two polls") }
    // Every record in order, as replay reads them, so the last poll gets the documents carried from
    // the full poll before it.
    // Remote server ids shared across endpoints, as the poller and replay do.
    var carried = CarriedDocuments(serverIDs: ServerIDInterner())
    var carriedBeforeLast = carried
    var lastFull: RecordedPoll?
    var firstSnapshot: PollSnapshot?
    for index in 0..<(recording.count - 1) {
        let poll = try recording.poll(at: index)
        if poll.isFull { lastFull = poll }
        let snapshot = poll.snapshot(carrying: &carried)
        if index == recording.count - 2 { firstSnapshot = snapshot }
    }
    carriedBeforeLast = carried
    let second = try recording.poll(at: recording.count - 1)
    if second.isFull { lastFull = second }
    func bodyBytes(_ poll: RecordedPoll) -> Int {
        poll.endpoints.reduce(0) { total, endpoint in total + endpoint.responses.reduce(0) { $0 + $1.body.count } }
    }
    let bytes = bodyBytes(second)

    var snapshot = PollSnapshot(sequence: 0, startedAt: .now, finishedAt: .now, observations: [])
    let decode = measure(repeats) {
        var copy = carriedBeforeLast
        snapshot = second.snapshot(carrying: &copy)
    }
    // A full poll decoded from nothing, for comparison when the last poll is a frequent one.
    let fullDecode = lastFull.map { full in
        (seconds: measure(repeats) {
            var nothing = CarriedDocuments()
            _ = full.snapshot(carrying: &nothing)
        }, bytes: bodyBytes(full))
    }
    let previousModel = SuperclusterBuilder.build(poll: firstSnapshot!, previous: nil)
    let previousProblems = MeshDiagnosis.diagnose(previousModel, previous: nil)
    var model = previousModel
    let build = measure(repeats) { model = SuperclusterBuilder.build(poll: snapshot, previous: previousModel) }
    var problems: [Problem] = []
    let diagnose = measure(repeats) { problems = MeshDiagnosis.diagnose(model, previous: previousModel) }
    var events: [MeshEvent] = []
    let detect = measure(repeats) { events = MeshEventDetector.events(from: previousModel, previousProblems, to: model, problems) }

    let base = DashboardState(width: 120, height: 40, interval: 1, glyphs: .unicode, themeNames: ["default"], now: model.time)
    var state = base
    _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: previousModel, problems: previousProblems, receivedAt: previousModel.time, duration: 0.1)))
    // Each repetition is one more poll into the same state, as the dashboard applies them: starting
    // every repetition from a saved copy would time copy-on-write of every history ring instead.
    let update = measure(repeats) {
        _ = DashboardUpdate.update(&state, .poll(PollUpdate(model: model, problems: problems, receivedAt: model.time, duration: 0.1, events: events)))
    }
    var frame = CellBuffer(width: 1, height: 1)
    let render = measure(repeats) { frame = DashboardView.render(state) }
    var keyed = state
    let key = measure(repeats) {
        keyed = state
        _ = DashboardUpdate.update(&keyed, .key(.down))
        frame = DashboardView.render(keyed)
    }
    // As --once writes it: in pieces, not joined.
    var chunks: [[UInt8]] = []
    let json = measure(max(1, repeats / 3)) { chunks = JSONReport.renderChunks(model, problems: problems, events: events) }
    let jsonBytes = chunks.reduce(0) { $0 + $1.count }
    var report = ""
    let text = measure(max(1, repeats / 3)) { report = TextReport.render(model, problems: problems, events: events) }
    let links = model.connectionCount
    print("recording \(path): \(second.endpoints.count) endpoints, \(links) gateway connections, \(bytes) bytes of documents per poll")
    print("median of \(repeats) runs:")
    print("  decode one poll          \(milliseconds(decode))  (\(String(format: "%.0f", Double(bytes) / decode / 1_048_576)) MiB/s, \(second.isFull ? "full" : "frequent") poll)")
    if let fullDecode, !second.isFull {
        print("  decode one full poll     \(milliseconds(fullDecode.seconds))  (\(String(format: "%.0f", Double(fullDecode.bytes) / fullDecode.seconds / 1_048_576)) MiB/s, \(fullDecode.bytes) bytes)")
    }
    print("  build the model          \(milliseconds(build))")
    print("  diagnose                 \(milliseconds(diagnose))  (\(problems.count) problems)")
    print("  events against previous  \(milliseconds(detect))")
    print("  dashboard update (poll)  \(milliseconds(update))  (\(state.rows.count) tree rows)")
    print("  render 120×40 frame      \(milliseconds(render))  (\(frame.width)×\(frame.height))")
    print("  key (↓) + render         \(milliseconds(key))")
    print("  pipeline per poll        \(milliseconds(decode + build + diagnose + detect + update + render))")
    print("  JSON report (--once)     \(milliseconds(json))  (\(jsonBytes) bytes)")
    print("  text report (--once)     \(milliseconds(text))  (\(report.utf8.count) bytes)")
} catch {
    FileHandle.standardError.write(Data("gwtop-bench: \(error)\n".utf8))
    exit(1)
}
