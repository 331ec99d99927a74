import ArgumentParser
import Foundation
import Logging
import MonitorModel
import OutputFormat
import Recording
import Replay
import TerminalUI
import Topology

extension GwtopCommand {
    /// `--replay FILE` and `--demo`: the same reports and dashboard, fed from a recording.
    func runReplay() async throws {
        let path = try demo ? DemoRecording.locate() : replay!
        let recording: Recording
        do {
            recording = try Recording(path: path)
        } catch {
            throw ValidationError(TerminalSafe.text("\(error)", maxLength: 2000))
        }
        // Anything read from the file is untrusted: warnings go to the terminal sanitised.
        for warning in recording.warnings { Self.warn(warning) }
        let settings = try resolveSettings()
        for warning in settings.warnings { Self.warn(warning) }
        let logger = try makeLogger()
        let timeline = ReplayTimeline(recording: recording, thresholds: settings.thresholds)
        let requested: MonitorTime?
        do {
            requested = try at.map { try ReplayTimeSpec.resolve($0, start: recording.startTime, end: recording.endTime) }
        } catch {
            throw ValidationError("--at: \(error)")
        }
        if let requested, !ReplayTimeSpec.isWithin(requested, start: recording.startTime, end: recording.endTime) {
            throw ValidationError(
                "--at \(at!) is \(requested.rfc3339), outside the recording (\(recording.startTime.rfc3339) to \(recording.endTime.rfc3339))")
        }

        if once || check {
            let (frame, events, warnings) = timeline.state(at: requested ?? recording.endTime)
            for warning in warnings { Self.warn(warning) }
            guard let frame else { throw ValidationError("\(path): no record up to \((requested ?? recording.endTime).rfc3339) could be read") }
            if check {
                let (text, status) = CheckReport.render(frame.step.model, problems: frame.step.problems)
                guard writeOut([Array(text.utf8)]) else { throw ExitCode(CheckReport.Status.unknown.exitCode) }
                if status.exitCode != 0 { throw ExitCode(status.exitCode) }
            } else {
                if !printReport(frame.step.model, frame.step.problems, events: events, colour: useColour()) { throw ExitCode(1) }
            }
            return
        }

        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            throw ValidationError("replaying in the dashboard needs a terminal; use --once (with --at) or --check for a report")
        }
        let catalog = ThemeCatalog.standard(environment: ProcessInfo.processInfo.environment)
        let themeName = chosenTheme(settings)
        _ = try catalog.theme(named: themeName)
        try checkSort(settings)
        let driver = ReplayDriver(
            timeline: timeline, start: requested.map { recording.index(atOrBefore: $0) } ?? 0, looping: demo,
            speed: demo ? 2 : 1)
        let runner = DashboardRunner(
            source: .replay(driver), interval: settings.interval, logger: logger,
            themes: catalog, initialTheme: themeName, forceASCII: ascii, colorMode: dashboardColorMode(),
            historySamples: try historySamples(interval: recordedInterval(recording)), initialSort: chosenSort(settings))
        let code = try await runner.run()
        if code != 0 { throw ExitCode(code) }
    }
}

extension GwtopCommand {
    static func warn(_ text: String) {
        FileHandle.standardError.write(Data("gwtop: warning: \(TerminalSafe.text(text, maxLength: 2000))\n".utf8))
    }
}

/// The median gap between records: the interval the recording was made at.
func recordedInterval(_ recording: Recording) -> Double {
    guard recording.count > 1 else { return 1 }
    let gaps = (1..<recording.count).map { recording.time(at: $0).seconds(since: recording.time(at: $0 - 1)) }.sorted()
    return max(0.05, gaps[gaps.count / 2])
}

/// The demo recording shipped with gwtop: `Demo/` beside the source tree the binary was built in, or
/// `share/gwtop/demo` beside an installed binary.
enum DemoRecording {
    static let fileName = "incident.gwtoprec"

    static func locate() throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["GWTOP_DEMO"], !explicit.isEmpty { candidates.append(explicit) }
        let places = BundledFiles.candidates(inSourceTree: "Demo/" + fileName, installedAt: "share/gwtop/demo/" + fileName)
        candidates += places.sourceTree + [places.installed]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ValidationError("the demo recording \(fileName) was not found (looked in: \(candidates.joined(separator: ", ")))")
        }
        return found
    }
}

/// Plays a recording into the dashboard: one record per recorded interval (scaled by the speed),
/// with pause, step, speed, jump to an event or a time. Runs on its own task and only posts messages.
final class ReplayDriver: Sendable {
    let timeline: ReplayTimeline
    let start: Int
    let looping: Bool
    let initialSpeed: Double
    /// Every event of the recording (one pass at start), for the next/previous event keys.
    let allEvents: [MeshEvent]
    static let speeds: [Double] = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]
    /// Records replayed before a jump target so its rates, sparklines and flap counts have a past.
    static let warmUp = 120
    /// A gap in the recording (gwtop was not running) is not sat through: at most this long a wait.
    static let longestWait = 3.0

    init(timeline: ReplayTimeline, start: Int, looping: Bool, speed: Double) {
        self.timeline = timeline
        self.start = start
        self.looping = looping
        self.initialSpeed = speed
        allEvents = timeline.run(0...(timeline.recording.count - 1), keepFrames: false).events
    }

    var initialStatus: ReplayStatus {
        let recording = timeline.recording
        return ReplayStatus(
            position: start, count: recording.count, time: recording.time(at: start), start: recording.startTime,
            end: recording.endTime, speed: initialSpeed, looping: looping)
    }

    func run(mailbox: Mailbox) async {
        let recording = timeline.recording
        var status = initialStatus
        var live = ReplayTimeline.Cursor(timeline: MeshTimeline(thresholds: timeline.thresholds, eventLimit: DashboardState.eventLimit))

        func post(_ frame: ReplayTimeline.Frame, events: [MeshEvent]) {
            mailbox.post(.poll(PollUpdate(
                model: frame.step.model, problems: frame.step.problems, receivedAt: frame.step.model.time, duration: frame.duration,
                events: events)))
        }
        func publishStatus() { mailbox.post(.replayStatus(status)) }
        /// Rebuilds the screen at `index`: fresh histories, the events so far, a warm-up run for rates.
        func jump(to index: Int) {
            let target = min(max(index, 0), recording.count - 1)
            live = ReplayTimeline.Cursor(timeline: MeshTimeline(thresholds: timeline.thresholds, eventLimit: DashboardState.eventLimit))
            let outcome = timeline.run(max(0, target - Self.warmUp)...target, continuing: &live)
            let time = recording.time(at: target)
            mailbox.post(.replayReset(events: allEvents.filter { $0.time <= time }))
            status.position = target
            status.time = time
            publishStatus()
            for frame in outcome.frames { post(frame, events: []) }
            if let warning = outcome.warnings.last { mailbox.post(.status(warning)) }
        }
        func step() {
            guard status.position + 1 < recording.count else { return }
            status.position += 1
            status.time = recording.time(at: status.position)
            publishStatus()
            do {
                let frame = try timeline.advance(&live, index: status.position)
                post(frame, events: frame.step.events)
            } catch {
                mailbox.post(.status("record \(status.position + 1) unreadable: \(error)"))
            }
        }
        func handle(_ control: ReplayControl) {
            switch control {
            case .togglePause:
                status.paused.toggle()
                if !status.paused && status.atEnd && !looping { jump(to: 0) }
            case .slower, .faster:
                let index = Self.speeds.firstIndex { $0 >= status.speed } ?? 2
                status.speed = Self.speeds[control == .faster ? min(index + 1, Self.speeds.count - 1) : max(index - 1, 0)]
                mailbox.post(.status("replay speed ×\(status.speed)"))
            case .stepForward:
                status.paused = true
                step()
            case .stepBack:
                status.paused = true
                jump(to: status.position - 1)
            case .nextEvent:
                if let event = allEvents.first(where: { $0.time > status.time }) {
                    jump(to: recording.index(atOrBefore: event.time))
                    mailbox.post(.status("event: \(TerminalSafe.text(event.message, maxLength: 120))"))
                } else {
                    mailbox.post(.status("no later event"))
                }
            case .previousEvent:
                if let event = allEvents.last(where: { $0.time < status.time }) {
                    jump(to: recording.index(atOrBefore: event.time))
                    mailbox.post(.status("event: \(TerminalSafe.text(event.message, maxLength: 120))"))
                } else {
                    mailbox.post(.status("no earlier event"))
                }
            case .jump(let text):
                do {
                    let time = try ReplayTimeSpec.resolve(text, start: recording.startTime, end: recording.endTime)
                    jump(to: recording.index(atOrBefore: time))
                    mailbox.post(.status("at \(recording.time(at: status.position).rfc3339)"))
                } catch {
                    mailbox.post(.status("\(error)"))
                }
            }
            publishStatus()
        }

        jump(to: start)
        var nextStepAt = ContinuousClock.now
        var waitingToLoop = false
        while !Task.isCancelled {
            for control in mailbox.drainReplayControls() {
                handle(control)
                nextStepAt = ContinuousClock.now + wait(after: status.position, speed: status.speed)
            }
            if !status.paused && ContinuousClock.now >= nextStepAt {
                if status.atEnd {
                    if looping {
                        if waitingToLoop {
                            waitingToLoop = false
                            jump(to: 0)
                        } else {
                            // Let the last frame stand a moment before starting again.
                            waitingToLoop = true
                            nextStepAt = ContinuousClock.now + .seconds(3)
                            continue
                        }
                    } else {
                        publishStatus()
                        nextStepAt = ContinuousClock.now + .seconds(3600)
                        continue
                    }
                } else {
                    step()
                }
                nextStepAt = ContinuousClock.now + wait(after: status.position, speed: status.speed)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The recorded time between this record and the next, at `speed`.
    func wait(after index: Int, speed: Double) -> Duration {
        let recording = timeline.recording
        guard index + 1 < recording.count else { return .milliseconds(Int(1000 / speed)) }
        let gap = recording.time(at: index + 1).seconds(since: recording.time(at: index)) / speed
        return .milliseconds(Int(min(max(gap, 0.05), Self.longestWait) * 1000))
    }
}
