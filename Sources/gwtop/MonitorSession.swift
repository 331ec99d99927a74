import Foundation
import MonitorModel
import Poller
import Topology

/// Runs poll cycles and keeps the state between them: the previous model (for rates and reconnects).
actor MonitorSession {
    private let poller: Poller
    private let thresholds: DiagnosisThresholds
    private var previous: Supercluster?
    private var sequence = 0

    struct Result: Sendable {
        let model: Supercluster
        let problems: [Problem]
        let cycle: PollCycle
        /// Seconds the cycle took, start to finish.
        let duration: Double
    }

    init(poller: Poller, thresholds: DiagnosisThresholds) {
        self.poller = poller
        self.thresholds = thresholds
    }

    func pollOnce() async -> Result {
        sequence += 1
        let started = ContinuousClock.now
        let cycle = await poller.poll(sequence: sequence)
        let elapsed = ContinuousClock.now - started
        let model = SuperclusterBuilder.build(poll: cycle.snapshot, previous: previous)
        let problems = MeshDiagnosis.diagnose(model, previous: previous, thresholds: thresholds)
        previous = model
        return Result(
            model: model, problems: problems, cycle: cycle,
            duration: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
