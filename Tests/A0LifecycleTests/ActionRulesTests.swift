import A0Core
import A0Lifecycle
import A0System
import A0TestSupport
import Testing

@Suite("Action rules")
struct ActionRulesTests {
  @Test(
    "the machine refuses an action's transition in exactly the states its rule leaves out, and the transition table allows it in the rest",
    arguments: LifecycleState.allCases)
  func rulesAgreeWithTheTable(state: LifecycleState) throws {
    let scratch = ScratchDirectory()
    let paths = try TestHome.create(in: scratch.path)
    try TestHome.put(paths, state: state)
    let machine = try Machine.openForMutation(
      paths: paths, command: "a0 test", waitSeconds: 0, world: World(clock: ManualClock()))
    // Opening recovers an interrupted STAGING, PROMOTING or ROLLING_BACK first.
    let current = machine.state.currentState
    let staging: ReasonCode = current == .failed ? .retryRequested : .approvalGranted
    let starts: [(Action, LifecycleState, ReasonCode)] = [
      (.beginStaging, .staging, staging), (.upgrade, .staging, staging),
      (.rollback, .staging, .rollbackRequested),
      (.confirm, .idle, .confirmationReceived), (.clearFailure, .idle, .humanClearedFailure),
      (.reset, .idle, .operatorReset),
    ]
    for (action, target, reason) in starts {
      let allowed = ActionRules.rule(action).states.contains(current)
      do {
        try machine.checkTransition(to: target, reason: reason, for: action)
        #expect(allowed, "\(action.rawValue) started from \(state.rawValue) (\(current.rawValue))")
      } catch {
        #expect(!allowed, "\(action.rawValue) refused from \(current.rawValue): \(error.message)")
        #expect(error.kind == .wrongState)
      }
    }
  }

  @Test("explain-state lists every action in the table, once")
  func everyActionHasARule() {
    #expect(ActionRules.all.map(\.action) == Action.allCases)
    #expect(Set(ActionRules.all.map(\.command)).count == Action.allCases.count)
  }
}
