/// The names notifications use for what the journal records: what a human
/// may need to hear about, each from the events that mean it.
public enum NotificationName {
  public static let all = [
    "upgrade_requested", "update_available", "staging_failed", "validation_failed", "promotion_completed",
    "rollback_completed", "failed_hard", "approval_expiring", "notify_failed",
  ]
  /// What `[notify] events` holds when absent: everything but a failed notification.
  public static let defaults = Array(all.dropLast())

  /// The notification an audit event is, or nil for the events no human needs.
  public static func of(_ event: AuditEvent) -> String? {
    switch event.eventType {
    case "upgrade_requested", "update_available", "staging_failed", "approval_expiring", "notify_failed":
      return event.eventType
    case "state_transition":
      let after = event.details["to"]?.stringValue
      let before = event.details["from"]?.stringValue
      let reason = event.details["reason_code"]?.stringValue
      switch (before, after) {
      case (_, "FAILED_HARD"?): return "failed_hard"
      case ("VALIDATING"?, "FAILED"?) where reason == "validation_error" || reason == "integrity_violation":
        return "validation_failed"
      case ("PROMOTING"?, "COMPLETE"?): return "promotion_completed"
      case ("ROLLING_BACK"?, _): return "rollback_completed"
      default: return nil
      }
    default:
      return nil
    }
  }
}
