import Foundation
import MonitorModel
import TerminalUI
import TestSupport
import Testing
import Topology

/// Whole-screen snapshots: the text of every cell, then one role code per cell (see `StyleRole.code`),
/// so colours are covered without ANSI codes. `GWTOP_RECORD_SNAPSHOTS=1 swift test` re-records; a missing
/// snapshot is recorded on first run (and fails in CI, where nothing may be recorded silently).
func assertSnapshot(_ buffer: CellBuffer, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    let file = directory.appendingPathComponent("\(name).txt")
    let rendered = "size \(buffer.width)x\(buffer.height)\n-- text --\n" + buffer.lines.joined(separator: "\n")
        + "\n-- roles --\n" + buffer.roleLines.joined(separator: "\n") + "\n"
    let environment = ProcessInfo.processInfo.environment
    let existing = try? String(contentsOf: file, encoding: .utf8)
    if environment["GWTOP_RECORD_SNAPSHOTS"] == "1" || existing == nil {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try rendered.write(to: file, atomically: true, encoding: .utf8)
        if existing == nil && environment["CI"] == "true" {
            Issue.record("snapshot \(name) was missing and has been recorded; commit it", sourceLocation: sourceLocation)
        }
        return
    }
    if existing != rendered {
        let expectedLines = existing!.split(separator: "\n", omittingEmptySubsequences: false)
        let actualLines = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        let firstDifference = zip(expectedLines, actualLines).enumerated().first { $0.element.0 != $0.element.1 }
        let detail = firstDifference.map { "line \($0.offset + 1):\n  expected: \($0.element.0)\n  actual:   \($0.element.1)" }
            ?? "line counts differ (\(expectedLines.count) vs \(actualLines.count))"
        Issue.record("snapshot \(name) differs; \(detail)\n(GWTOP_RECORD_SNAPSHOTS=1 re-records)", sourceLocation: sourceLocation)
    }
}

/// A dashboard fed the two recorded polls of a topology, at a fixed clock.
func recordedState(_ topology: String, width: Int, height: Int, glyphs: Glyphs = .unicode) throws -> DashboardState {
    let first = SuperclusterBuilder.build(poll: try Fixtures.poll(topology: topology, number: 1), previous: nil)
    let second = SuperclusterBuilder.build(poll: try Fixtures.poll(topology: topology, number: 2), previous: first)
    let firstProblems = MeshDiagnosis.diagnose(first, previous: nil)
    let secondProblems = MeshDiagnosis.diagnose(second, previous: first)
    var state = DashboardState(
        width: width, height: height, interval: 1, glyphs: glyphs,
        themeNames: ["default", "light", "mono"], now: MonitorTime(seconds: 1_800_000_001))
    _ = DashboardUpdate.update(&state, .poll(PollUpdate(
        model: first, problems: firstProblems, receivedAt: MonitorTime(seconds: 1_800_000_001), duration: 0.012)))
    _ = DashboardUpdate.update(&state, .poll(PollUpdate(
        model: second, problems: secondProblems, receivedAt: MonitorTime(seconds: 1_800_000_002), duration: 0.014)))
    _ = DashboardUpdate.update(&state, .tick(MonitorTime(seconds: 1_800_000_002, nanoseconds: 400_000_000)))
    return state
}

@discardableResult
func press(_ state: inout DashboardState, _ keys: Key...) -> [DashboardCommand] {
    keys.flatMap { DashboardUpdate.update(&state, .key($0)) }
}

func type(_ state: inout DashboardState, _ text: String) {
    for character in text { _ = DashboardUpdate.update(&state, .key(.character(character))) }
}
