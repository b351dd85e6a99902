import A0Core
import MCP

/// a0's JSON values and the MCP SDK's, converted both ways without loss
/// for what a0 writes (no floats, no binary data).
enum MCPValues {
  static func value(_ json: JSONValue) -> Value {
    switch json {
    case .null: return .null
    case .bool(let flag): return .bool(flag)
    case .int(let number): return .int(Int(number))
    case .string(let text): return .string(text)
    case .array(let items): return .array(items.map(value))
    case .object(let members): return .object(members.mapValues(value))
    }
  }

  /// nil for what a0 never reads from a client (floats, data).
  static func json(_ value: Value) -> JSONValue? {
    switch value {
    case .null: return .null
    case .bool(let flag): return .bool(flag)
    case .int(let number): return .int(Int64(number))
    case .string(let text): return .string(text)
    case .array(let items):
      let converted = items.compactMap(json)
      return converted.count == items.count ? .array(converted) : nil
    case .object(let members):
      var converted: [String: JSONValue] = [:]
      for (key, item) in members {
        guard let item = json(item) else { return nil }
        converted[key] = item
      }
      return .object(converted)
    case .double(let number):
      // A whole number sent as a float (JavaScript clients do) is still a number.
      guard number.rounded() == number, abs(number) < 1e15 else { return nil }
      return .int(Int64(number))
    case .data: return nil
    }
  }
}
